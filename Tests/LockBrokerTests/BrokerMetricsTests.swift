import BrokerCore
@testable import LockBroker
import MetricsEndpoint
import XCTest

/// The broker's series come from its status and engine counts, named as Prometheus wants.
final class BrokerMetricsTests: XCTestCase {
    private func status() -> BrokerStatus {
        var counters = BrokerStatus.Counters()
        counters.unlocks = 2
        counters.unlocksFailed = 1
        counters.sessionsOpened = 3
        counters.framesSkipped = ["unchanged": 7, "nothing_triggered": 20]
        return BrokerStatus(
            pid: 1, run: "0badf00d", mqtt: .init(connected: true, host: "127.0.0.1", port: 1883),
            cameras: [.init(id: "cam-a", connected: true, framesReceived: 40, framesAdmitted: 11, framesSkipped: 29,
                            capture: ["frames_captured": 41, "frames_dropped": 1, "frames_sent": 40])],
            openSessions: [.init(trigger: "lock DC006", session: "s", openForSeconds: 1, closesInSeconds: 9, unlocked: [])],
            recognizers: [.init(peer: "recognizer:1 pid=2", name: "1", credits: 0, inFlight: 1, sent: 9, results: 8)],
            pendingTxns: 2, waitingFrames: 1, framesDropped: 5, galleryMembers: 1, auditFailures: 0, auditQueue: 0,
            auditQueueCapacity: 64, counters: counters)
    }

    func testSeriesFromStatusAndTallies() {
        let families = BrokerMetrics.families(
            status: status(),
            decisionsByLock: [DecisionTally(kind: .unlock, lock: "DC006"): 2, DecisionTally(kind: .unknownTxn, lock: ""): 1],
            tallies: .init(mqttConnects: 3, confirmations: ["DC006": ["confirmed": 1]]))
        let text = Exposition.text(families)
        for line in [
            "facegate_decisions_total{kind=\"unknown_txn\",lock=\"\"} 1",
            "facegate_decisions_total{kind=\"unlock\",lock=\"DC006\"} 2",
            "facegate_unlocks_total{outcome=\"delivered\"} 2",
            "facegate_unlocks_total{outcome=\"failed\"} 1",
            "facegate_unlock_confirmations_total{lock=\"DC006\",result=\"confirmed\"} 1",
            "facegate_unlock_confirmations_total{lock=\"DC006\",result=\"unconfirmed\"} 0",
            "facegate_camera_frames_total{camera=\"cam-a\",stage=\"admitted\"} 11",
            "facegate_camera_frames_total{camera=\"cam-a\",stage=\"captured\"} 41",
            "facegate_mqtt_connected 1.0",
            "facegate_mqtt_reconnects_total 2",
            "facegate_open_sessions 1.0",
            "facegate_pending_txns 2.0",
            "facegate_waiting_frames 1.0",
            "facegate_recognizer_in_flight{recognizer=\"1\"} 1.0",
            "facegate_frames_dropped_total 5",
            "facegate_frames_skipped_total{reason=\"unchanged\"} 7",
            "facegate_frames_skipped_total{reason=\"nothing_triggered\"} 20",
            "facegate_frames_skipped_total{reason=\"too_old\"} 0",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line) in\n\(text)")
        }
        XCTAssertEqual(Set(families.map(\.name)).count, families.count, "one family per name")
        for family in families {
            XCTAssertTrue(Exposition.isValidMetricName(family.name), family.name)
            XCTAssertFalse(family.help.isEmpty, family.name)
            XCTAssertEqual(family.kind == .counter, family.name.hasSuffix("_total"), "\(family.name): counters, and only they, end in _total")
            for label in family.samples.flatMap(\.labels.keys) { XCTAssertTrue(Exposition.isValidLabelName(label), label) }
        }
    }

    func testNoReconnectBeforeTheFirstConnection() {
        let families = BrokerMetrics.families(status: status(), decisionsByLock: [:], tallies: .init())
        XCTAssertTrue(Exposition.text(families).contains("facegate_mqtt_reconnects_total 0\n"))
    }
}
