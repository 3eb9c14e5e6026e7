import Foundation
import MetricsEndpoint
import Prometheus
import TestSupport
import XCTest

/// The text exposition of values read at a scrape and of recorded histograms, and Prometheus's
/// own promtool agreeing it is valid.
final class ExpositionTests: XCTestCase {
    /// Families come out in the registry's order: compare each family's block.
    private func blocks(_ text: String) -> Set<String> {
        Set(text.components(separatedBy: "# HELP ").filter { !$0.isEmpty }.map { "# HELP " + $0 })
    }

    func testCountersAndGaugesWithLabels() {
        let text = Exposition.text([
            MetricFamily("facegate_decisions_total", .counter, help: "Decisions by kind.", samples: [
                MetricSample(labels: ["lock": "DC006", "kind": "unlock"], value: 3),
            ]),
            MetricFamily("facegate_open_sessions", .gauge, help: "Open now.", value: 1.5),
            MetricFamily("facegate_waiting_frames", .gauge, help: "Waiting.", value: 0),
        ])
        XCTAssertEqual(blocks(text), [
            "# HELP facegate_decisions_total Decisions by kind.\n# TYPE facegate_decisions_total counter\nfacegate_decisions_total{kind=\"unlock\",lock=\"DC006\"} 3\n",
            "# HELP facegate_open_sessions Open now.\n# TYPE facegate_open_sessions gauge\nfacegate_open_sessions 1.5\n",
            "# HELP facegate_waiting_frames Waiting.\n# TYPE facegate_waiting_frames gauge\nfacegate_waiting_frames 0.0\n",
        ])
    }

    func testOneFamilyManyLabelSets() {
        let text = Exposition.text([MetricFamily("facegate_unlocks_total", .counter, help: "Unlocks.", samples: [
            MetricSample(labels: ["outcome": "delivered"], value: 2), MetricSample(labels: ["outcome": "failed"], value: 0),
        ])])
        XCTAssertEqual(text.components(separatedBy: "# TYPE facegate_unlocks_total counter").count, 2, "one TYPE line\n\(text)")
        XCTAssertTrue(text.contains("facegate_unlocks_total{outcome=\"delivered\"} 2\n"), text)
        XCTAssertTrue(text.contains("facegate_unlocks_total{outcome=\"failed\"} 0\n"), text)
    }

    func testRecordedHistogramIsAppendedWithCumulativeBuckets() {
        let recorded = PrometheusCollectorRegistry()
        let h = recorded.makeValueHistogram(descriptor: Exposition.descriptor("x_seconds", help: "X."), labels: [("camera", "cam-a")], buckets: [0.1, 1, 10])
        for v in [0.05, 0.1, 0.5, 20] { h.record(v) }
        let text = Exposition.text([MetricFamily("y", .gauge, help: "Y.", value: 1)], recorded: recorded)
        XCTAssertTrue(text.hasSuffix("""
            # HELP x_seconds X.
            # TYPE x_seconds histogram
            x_seconds_bucket{camera="cam-a",le="0.1"} 2
            x_seconds_bucket{camera="cam-a",le="1.0"} 3
            x_seconds_bucket{camera="cam-a",le="10.0"} 3
            x_seconds_bucket{camera="cam-a",le="+Inf"} 4
            x_seconds_sum{camera="cam-a"} 20.65
            x_seconds_count{camera="cam-a"} 4

            """), text)
        XCTAssertTrue(text.hasPrefix("# HELP y Y.\n"), text)
    }

    func testEscapesLabelValues() {
        let text = Exposition.text([MetricFamily("m", .gauge, help: "h",
                                                 samples: [MetricSample(labels: ["camera": "say \"hi\"\\\n"], value: -2)])])
        XCTAssertTrue(text.contains("m{camera=\"say \\\"hi\\\"\\\\\\n\"} -2.0\n"), text)
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
        let recorded = PrometheusCollectorRegistry()
        recorded.makeValueHistogram(descriptor: Exposition.descriptor("facegate_capture_to_decision_seconds", help: "Capture to decision."),
                                    buckets: Exposition.secondsBuckets).record(0.3)
        let text = Exposition.text([
            MetricFamily("facegate_unlocks_total", .counter, help: "Unlocks by outcome.",
                         samples: [MetricSample(labels: ["outcome": "delivered"], value: 2)]),
            MetricFamily("facegate_mqtt_connected", .gauge, help: "Connected.", value: 1),
        ], recorded: recorded)
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
        XCTAssertEqual(said.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool found problems:\n\(said)\nin\n\(text)")
    }
}
