import Foundation
import TestSupport
import XCTest

/// A real Prometheus scrapes the broker, the capture and the recognizer on loopback through S1
/// (a touch of DC006, obama shown, DC006 unlocked), and its HTTP API shows every series the
/// dashboard uses, moving from before the touch to after the unlock.
final class MetricsScenarioTests: ScenarioCase {
    func testPrometheusSeesS1() throws {
        let brokerPort = freeLoopbackPort(), capturePort = freeLoopbackPort(), recognizerPort = freeLoopbackPort()
        let p = try makePipeline { o in
            // Recognizer "1" takes the base port + 1, as facegate-recognizer@1 would.
            o.recognizers = ["1"]
            o.metricsTable = """
                broker = "127.0.0.1:\(brokerPort)"
                cameras = "127.0.0.1:\(capturePort)"
                recognizers = "127.0.0.1:\(recognizerPort - 1)"
                """
        }
        let prometheus = try PrometheusServer(targets: [
            "broker": "127.0.0.1:\(brokerPort)", "capture": "127.0.0.1:\(capturePort)", "recognizer": "127.0.0.1:\(recognizerPort)",
        ], scrapeInterval: 0.5)
        defer { if (testRun?.totalFailureCount ?? 0) > 0 { print("--- prometheus targets\n" + prometheus.targets + "\n--- prometheus\n" + prometheus.log.suffix(3000)) }; prometheus.stop() }

        // Before the touch: broker and recognizer scraped, nothing decided yet.
        XCTAssertTrue(waitUntil(timeout: 30) { prometheus.value("up{job=\"broker\"}") == 1 && prometheus.value("up{job=\"recognizer\"}") == 1 },
                      (try? prometheus.query("up"))?.description ?? "no answer")
        XCTAssertEqual(prometheus.value("facegate_mqtt_connected"), 1)
        XCTAssertEqual(prometheus.value("facegate_mqtt_reconnects_total"), 0)
        XCTAssertEqual(prometheus.value("facegate_open_sessions"), 0)
        XCTAssertEqual(prometheus.value("facegate_sessions_opened_total"), 0)
        XCTAssertEqual(prometheus.value("facegate_unlocks_total{outcome=\"delivered\"}"), 0)
        XCTAssertEqual(try prometheus.query("facegate_decisions_total").count, 0)
        XCTAssertEqual(prometheus.value("facegate_capture_to_decision_seconds_count"), 0)
        XCTAssertEqual(prometheus.value("facegate_recognizer_engine_seconds_count{recognizer=\"1\"}"), 0)
        XCTAssertEqual(prometheus.value("facegate_pending_txns"), 0)
        XCTAssertEqual(prometheus.value("sum(facegate_recognizer_queue_depth{recognizer=\"1\"})"), 0)
        XCTAssertEqual(prometheus.value("facegate_recognizer_broker_connected{recognizer=\"1\"}"), 1)

        // S1, with the camera left showing until Prometheus has scraped its capture: a
        // stopped target's series go stale at once.
        try touchAndShow(p)
        assertEventually(prometheus, [
            ("up{job=\"capture\"}", { $0 == 1 }),
            ("facegate_capture_frames_total{camera=\"cam-a\",stage=\"captured\"}", { $0 >= 1 }),
            ("facegate_capture_frames_total{camera=\"cam-a\",stage=\"sent\"}", { $0 >= 1 }),
            ("facegate_capture_broker_connected{camera=\"cam-a\"}", { $0 == 1 }),
            ("facegate_capture_dropped_frames_total{camera=\"cam-a\",reason=\"broker_away\"}", { $0 == 0 }),
        ])
        assertSettledUnlocks(p, ["DC006": 1])

        // After: what the S1 unlock moved, as Prometheus stored it.
        assertEventually(prometheus, [
            ("facegate_decisions_total{kind=\"unlock\",lock=\"DC006\"}", { $0 == 1 }),
            ("facegate_unlocks_total{outcome=\"delivered\"}", { $0 == 1 }),
            ("facegate_unlocks_total{outcome=\"failed\"}", { $0 == 0 }),
            ("facegate_unlock_confirmations_total{lock=\"DC006\",result=\"confirmed\"}", { $0 == 1 }),
            ("facegate_sessions_opened_total", { $0 >= 1 }),
            ("max_over_time(facegate_open_sessions[5m])", { $0 >= 1 }),
            ("facegate_camera_frames_total{camera=\"cam-a\",stage=\"admitted\"}", { $0 >= 1 }),
            ("facegate_camera_frames_total{camera=\"cam-a\",stage=\"received\"}", { $0 >= 1 }),
            ("facegate_capture_to_decision_seconds_count", { $0 >= 1 }),
            ("facegate_capture_to_decision_seconds_bucket{le=\"+Inf\"}", { $0 >= 1 }),
            ("facegate_capture_to_decision_seconds_sum", { $0 > 0 }),
            ("facegate_recognizer_engine_seconds_count{recognizer=\"1\"}", { $0 >= 1 }),
            ("facegate_recognizer_results_total{recognizer=\"1\"}", { $0 >= 1 }),
            ("facegate_recognizer_faces_total{recognizer=\"1\"}", { $0 >= 1 }),
            ("max_over_time(facegate_pending_txns[5m])", { $0 >= 0 }),
            ("facegate_mqtt_connected", { $0 == 1 }),
        ])
        // Histograms are exposed whole: every bucket, ascending counts.
        let buckets = try prometheus.query("facegate_capture_to_decision_seconds_bucket")
            .sorted { (Double($0.labels["le"]!) ?? .infinity) < (Double($1.labels["le"]!) ?? .infinity) }
        XCTAssertEqual(buckets.count, 13, buckets.description)
        XCTAssertEqual(buckets.map(\.value), buckets.map(\.value).sorted(), "cumulative")

        // The Grafana dashboard asks for series that exist, in queries Prometheus accepts.
        let dashboardURL = Paths.packageRoot.appendingPathComponent("deploy/grafana/facegate-dashboard.json")
        let dashboard = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dashboardURL)) as? [String: Any])
        let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]])
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        XCTAssertGreaterThanOrEqual(queries.count, 10)
        var names = Set<String>()
        for query in queries {
            XCTAssertNoThrow(try prometheus.query(query), query)
            let pattern = try NSRegularExpression(pattern: "facegate_[a-z_]+")
            for match in pattern.matches(in: query, range: NSRange(query.startIndex..., in: query)) {
                names.insert(String(query[Range(match.range, in: query)!]))
            }
        }
        XCTAssertGreaterThanOrEqual(names.count, 12, names.sorted().description)
        for name in names.sorted() {
            // Over a range: the capture's series went stale when the camera was hidden.
            XCTAssertGreaterThan(try prometheus.query("last_over_time({__name__=\"\(name)\"}[10m])").count, 0,
                                 "the dashboard's \(name) is not exposed")
        }
    }

    /// Every query has one series whose value holds, within a few scrapes (every 0.5 s).
    private func assertEventually(_ prometheus: PrometheusServer, _ expectations: [(String, (Double) -> Bool)],
                                  file: StaticString = #filePath, line: UInt = #line) {
        var failing: [String] = []
        let held = waitUntil(timeout: 20, interval: 0.5) {
            failing = expectations.compactMap { query, holds in
                guard let value = prometheus.value(query) else { return "\(query): no series" }
                return holds(value) ? nil : "\(query) = \(value)"
            }
            return failing.isEmpty
        }
        XCTAssertTrue(held, failing.joined(separator: "\n"), file: file, line: line)
    }
}
