import BrokerCore
import Foundation
import TestSupport
import XCTest

/// Issue 16 on the real processes: mosquitto with logins and the ACL `facegate mqtt acl`
/// prints. Spoofed keypad touches and unlock commands from another login (or from nobody)
/// are refused by mosquitto itself; the broker and the locks never see them.
///
/// A refused publish is invisible to its publisher (MQTT 3.1.1 acknowledges and drops it), so
/// the proof is mosquitto's own "Denied PUBLISH" line (debug logging), followed by a real event
/// published after it: mosquitto handles messages in order, so once the real one has arrived
/// the spoof would have arrived before it.
final class ClosedBusScenarioTests: ScenarioCase {
    private func closedBus(_ o: inout PipelineOptions) {
        o.extraMQTTUsers = ["intruder": "intruder-secret"]
        o.mosquittoConfig = ["log_type debug"]
    }

    private func waitForDenied(_ p: Pipeline, client: String, topic: String) -> Bool {
        waitUntil(timeout: 20) {
            p.mosquitto.log.split(separator: "\n").contains { $0.contains("Denied PUBLISH from \(client)") && $0.contains("'\(topic)'") }
        }
    }

    /// An intruder's occupancy:true on DC006 while obama stands at the camera opens nothing;
    /// the real touch of DC001 that follows opens DC001 only.
    func testSpoofedOccupancyFromAnotherLoginIsRefusedByMosquitto() throws {
        let p = try makePipeline(closedBus)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: 2), p.dump())
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":true}"#, username: "intruder",
                                clientID: "intruder-touch")
        XCTAssertTrue(waitForDenied(p, client: "intruder-touch", topic: "zigbee2mqtt/DC006"), p.mosquitto.log)
        // Anonymous is not even let in.
        XCTAssertThrowsError(try p.mosquitto.publishAnonymously(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":true}"#)) {
            XCTAssertTrue("\($0)".contains("not authori"), "\($0)")
        }

        try p.touch("DC001")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        XCTAssertEqual(p.brokerLines("msg=\"occupancy true\"", "lock=DC006").count, 0, "the spoofed touch reached the broker")
        XCTAssertEqual(p.commands("DC006").count, 0)
        for row in audit(p) {
            XCTAssertEqual(try row.snapshot()?.triggeredLocks, ["DC001"], auditText(p))
        }
    }

    /// An intruder's {"state":"UNLOCK"} on DC001/set never reaches the lock; facegate's own
    /// unlock after a real touch does, exactly once.
    func testSpoofedUnlockCommandIsRefusedByMosquitto() throws {
        let p = try makePipeline(closedBus)
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"UNLOCK"}"#, username: "intruder",
                                clientID: "intruder-set")
        XCTAssertTrue(waitForDenied(p, client: "intruder-set", topic: "zigbee2mqtt/DC001/set"), p.mosquitto.log)
        // Nor may any other login but facegate's and zigbee2mqtt's (which owns the base topic).
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"UNLOCK"}"#, username: "nvr",
                                clientID: "nvr-set")
        XCTAssertTrue(waitForDenied(p, client: "nvr-set", topic: "zigbee2mqtt/DC001/set"), p.mosquitto.log)

        try p.touch("DC001")
        p.at(1)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        XCTAssertEqual(p.commands("DC001").count, 1, "only facegate's unlock reached the lock")
    }

    /// The same pipeline with an open bus and allow_anonymous = true: the spoofed touch goes
    /// through. This is what the ACL stops, and the broker says so at every start.
    func testAnOpenBusLetsASpoofedTouchThroughAndTheBrokerWarns() throws {
        let p = try makePipeline { $0.anonymousMQTT = true }
        XCTAssertEqual(p.brokerLines("mqtt.allow_anonymous = true", "level=warn ").count, 1, p.dump())
        try p.mosquitto.publishAnonymously(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":true}"#)
        XCTAssertTrue(waitUntil(timeout: 20) { p.brokerLines("msg=\"occupancy true\"", "lock=DC006").count == 1 }, p.dump())
    }
}
