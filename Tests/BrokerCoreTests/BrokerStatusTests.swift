import BrokerCore
import Foundation
import XCTest

/// The broker's status reply: the keys `facegate status`, the tests and deploy/README.md rely
/// on, written by the broker and read back by the CLI through the one type.
final class BrokerStatusTests: XCTestCase {
    private func sample() -> BrokerStatus {
        var engine = EngineCounters()
        engine.occupancyEvents = 5
        engine.framesSkipped = [.nothingTriggered: 78]
        engine.decisions = [.unlock: 2, .noGrant: 1]
        engine.unlocks = 2
        return BrokerStatus(
            pid: 4242, run: "5f3a91c2", mqtt: .init(connected: true, host: "127.0.0.1", port: 1883),
            cameras: [.init(id: "cam-a", connected: true, framesReceived: 90, framesAdmitted: 12, framesSkipped: 78,
                            capture: ["frames_sent": 90])],
            openSessions: [.init(trigger: "lock DC006", session: "5f3a91c200000003", openForSeconds: 2.5, closesInSeconds: 12.5,
                                 unlocked: ["DC006"])],
            recognizers: [.init(peer: "recognizer:r1 pid=77", name: "r1", credits: 1, inFlight: 0, sent: 12, results: 12)],
            pendingTxns: 1, waitingFrames: 0, framesDropped: 4, galleryMembers: 2, auditFailures: 0,
            auditQueue: 1, auditQueueCapacity: 64,
            counters: .init(engine, unlocksInFlight: 1, awaitingConfirmation: 1, auditQueueFull: 3))
    }

    private func object(_ status: BrokerStatus) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any])
    }

    func testEncodesTheDocumentedKeys() throws {
        let json = try object(sample())
        XCTAssertEqual(Set(json.keys), ["process", "pid", "run", "mqtt", "cameras", "open_sessions", "recognizers", "pending_txns",
                                        "waiting_frames", "frames_dropped", "gallery_members", "audit_failures", "audit_queue",
                                        "audit_queue_capacity", "counters"])
        XCTAssertEqual(json["process"] as? String, "facegate-broker")
        XCTAssertEqual(Set((json["mqtt"] as? [String: Any] ?? [:]).keys), ["connected", "host", "port"])
        let camera = try XCTUnwrap((json["cameras"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(camera.keys), ["id", "connected", "frames_received", "frames_admitted", "frames_skipped", "capture"])
        XCTAssertEqual(camera["capture"] as? [String: Int], ["frames_sent": 90])
        let session = try XCTUnwrap((json["open_sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(session.keys), ["trigger", "session", "open_for_s", "closes_in_s", "unlocked"])
        XCTAssertEqual(session["closes_in_s"] as? Double, 12.5)
        let recognizer = try XCTUnwrap((json["recognizers"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(recognizer.keys), ["peer", "name", "credits", "in_flight", "sent", "results"])
        let counters = try XCTUnwrap(json["counters"] as? [String: Any])
        XCTAssertEqual(Set(counters.keys), ["occupancy_events", "motion_events", "retained_ignored", "sessions_opened",
                                            "frames_admitted", "frames_skipped", "results", "decisions", "unlocks", "unlocks_failed",
                                            "trigger_suspensions", "unlocks_in_flight", "awaiting_confirmation", "audit_queue_full", "txns_expired",
                                            "txns_discarded"])
        XCTAssertEqual(counters["decisions"] as? [String: Int], ["unlock": 2, "no_grant": 1])
        XCTAssertEqual(counters["frames_skipped"] as? [String: Int], ["nothing_triggered": 78])
    }

    func testDecodesWhatItEncodes() throws {
        let status = sample()
        XCTAssertEqual(try JSONDecoder().decode(BrokerStatus.self, from: JSONEncoder().encode(status)), status)
    }

    /// Counters come and go with the broker's features: one a reply lacks reads as 0, while a
    /// reply without the status's structure is refused.
    func testMissingCountersReadAsZeroButAMissingSectionIsAnError() throws {
        var json = try object(sample())
        var counters = try XCTUnwrap(json["counters"] as? [String: Any])
        counters["trigger_suspensions"] = nil
        counters["decisions"] = nil
        json["counters"] = counters
        let decoded = try JSONDecoder().decode(BrokerStatus.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(decoded.counters.triggerSuspensions, 0)
        XCTAssertEqual(decoded.counters.decisions, [:])
        XCTAssertEqual(decoded.counters.occupancyEvents, 5)

        json["cameras"] = nil
        XCTAssertThrowsError(try JSONDecoder().decode(BrokerStatus.self, from: JSONSerialization.data(withJSONObject: json)))
    }

    /// A camera's motion source is said only when it has one, and the link to its
    /// facegate-onvif only for an onvif camera; a reply without them (an older broker) reads.
    func testMotionSourceAndOnvifLinkOnlyWhereTheyApply() throws {
        var status = sample()
        status.cameras.append(.init(id: "cam-b", connected: false, framesReceived: 0, framesAdmitted: 0, framesSkipped: 0,
                                    capture: [:], motionSource: "onvif", onvifConnected: true))
        let cameras = try XCTUnwrap(try object(status)["cameras"] as? [[String: Any]])
        XCTAssertNil(cameras[0]["motion_source"])
        XCTAssertNil(cameras[0]["onvif_connected"])
        XCTAssertEqual(cameras[1]["motion_source"] as? String, "onvif")
        XCTAssertEqual(cameras[1]["onvif_connected"] as? Bool, true)
        XCTAssertEqual(try JSONDecoder().decode(BrokerStatus.self, from: JSONEncoder().encode(status)), status)
    }
}
