import Foundation
import Metrics
import TestSupport
import XCTest

/// The text exposition format, byte for byte, and checked by Prometheus's own promtool.
final class ExpositionTests: XCTestCase {
    func testCounterGaugeAndLabels() {
        let text = Exposition.text([
            MetricFamily("facegate_decisions_total", .counter, help: "Decisions by kind.", samples: [
                MetricSample(labels: ["lock": "DC006", "kind": "unlock"], value: 3),
                MetricSample(labels: ["kind": "no_grant", "lock": ""], value: 0),
            ]),
            MetricFamily("facegate_open_sessions", .gauge, help: "Open now.", value: 1.5),
        ])
        XCTAssertEqual(text, """
            # HELP facegate_decisions_total Decisions by kind.
            # TYPE facegate_decisions_total counter
            facegate_decisions_total{kind="unlock",lock="DC006"} 3
            facegate_decisions_total{kind="no_grant",lock=""} 0
            # HELP facegate_open_sessions Open now.
            # TYPE facegate_open_sessions gauge
            facegate_open_sessions 1.5

            """)
    }

    func testHistogramBucketsAreCumulativeAndEndAtInf() {
        var h = HistogramSnapshot(bounds: [0.1, 1, 10])
        for v in [0.05, 0.1, 0.5, 20] { h.observe(v) }
        h.observe(.nan)
        XCTAssertEqual(h.count, 4, "NaN is no observation")
        XCTAssertEqual(h.cumulativeCounts, [2, 3, 3])
        let text = Exposition.text([MetricFamily("x_seconds", .histogram, help: "X.",
                                                 samples: [MetricSample(labels: ["camera": "cam-a"], histogram: h)])])
        XCTAssertEqual(text, """
            # HELP x_seconds X.
            # TYPE x_seconds histogram
            x_seconds_bucket{camera="cam-a",le="0.1"} 2
            x_seconds_bucket{camera="cam-a",le="1"} 3
            x_seconds_bucket{camera="cam-a",le="10"} 3
            x_seconds_bucket{camera="cam-a",le="+Inf"} 4
            x_seconds_sum{camera="cam-a"} 20.65
            x_seconds_count{camera="cam-a"} 4

            """)
    }

    func testEscapesLabelValuesAndHelp() {
        let text = Exposition.text([MetricFamily("m", .gauge, help: "a \\ b\nc",
                                                 samples: [MetricSample(labels: ["camera": "say \"hi\"\\\n"], value: -2)])])
        XCTAssertEqual(text, "# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{camera=\"say \\\"hi\\\"\\\\\\n\"} -2\n")
    }

    func testSpecialValues() {
        let text = Exposition.text([MetricFamily("m", .gauge, help: "h", samples: [
            MetricSample(labels: ["v": "a"], value: .infinity), MetricSample(labels: ["v": "b"], value: -.infinity),
            MetricSample(labels: ["v": "c"], value: .nan), MetricSample(labels: ["v": "d"], value: 1e-7),
            MetricSample(labels: ["v": "e"], value: 1e20),
        ])])
        XCTAssertTrue(text.contains("m{v=\"a\"} +Inf\nm{v=\"b\"} -Inf\nm{v=\"c\"} NaN\nm{v=\"d\"} 1e-07\nm{v=\"e\"} 1e+20\n"), text)
    }

    func testNames() {
        XCTAssertTrue(Exposition.isValidMetricName("facegate_decisions_total"))
        XCTAssertTrue(Exposition.isValidMetricName("a:b"))
        XCTAssertFalse(Exposition.isValidMetricName("9lives"))
        XCTAssertFalse(Exposition.isValidMetricName("cam-a"))
        XCTAssertFalse(Exposition.isValidMetricName(""))
        XCTAssertTrue(Exposition.isValidLabelName("le"))
        XCTAssertFalse(Exposition.isValidLabelName("__name__"))
        XCTAssertFalse(Exposition.isValidLabelName("a:b"))
    }

    /// Prometheus's own parser and linter agree the output is valid exposition.
    func testPromtoolAcceptsTheOutput() throws {
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            return XCTFail("\(promtool) missing: scripts/setup.sh installs Debian's prometheus package")
        }
        var h = HistogramSnapshot(bounds: HistogramSnapshot.latencySeconds)
        h.observe(0.3)
        let text = Exposition.text([
            MetricFamily("facegate_unlocks_total", .counter, help: "Unlocks by outcome.",
                         samples: [MetricSample(labels: ["outcome": "delivered"], value: 2)]),
            MetricFamily("facegate_capture_to_decision_seconds", help: "Capture to decision.", histogram: h),
            MetricFamily("facegate_mqtt_connected", .gauge, help: "Connected.", value: 1),
        ])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, said)
        XCTAssertEqual(said.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool found problems:\n\(said)")
    }
}
