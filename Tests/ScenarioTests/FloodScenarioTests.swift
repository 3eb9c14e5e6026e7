import BrokerCore
import Foundation
import MQTTClient
import TestSupport
import XCTest

/// A client on the bus floods a lock's topic with occupancy: at most one unlock per
/// min_unlock_interval, the lock's sessions suspended and audited once, and the lock usable
/// again after a quiet period.
final class FloodScenarioTests: ScenarioCase {
    /// On an open bus (allowed explicitly by the configuration), anybody may publish a lock's
    /// occupancy: the plausibility limits are what stands between a flood and the door.
    func testOccupancyFloodIsSuspendedAndUnlocksAtMostOncePerInterval() throws {
        let p = try makePipeline {
            $0.anonymousMQTT = true
            $0.minUnlockInterval = 10
            $0.triggerQuiet = 6
        }
        try p.show("obama2.jpg", waitForFrame: true)
        let flooder = try FloodClient(server: p.mosquitto)
        defer { flooder.stop() }
        // 1000 messages a second, true and false in turn, for 10 scenario seconds (bounded).
        let sent = flooder.flood(topic: "zigbee2mqtt/DC006", perSecond: 1000, seconds: 10 * p.scale)
        print("flood: \(sent) messages published")
        XCTAssertGreaterThan(sent, 1000)
        XCTAssertTrue(settle(p, auditAllRuns: false), p.dump())

        let commands = p.commands("DC006").count
        let floodSeconds = 10.0
        XCTAssertLessThanOrEqual(commands, Int(floodSeconds / p.options.minUnlockInterval) + 1,
                                 "more than one unlock per min_unlock_interval\n\(p.dump())")
        XCTAssertEqual(p.commands("DC001").count, 0)
        let rows = audit(p)
        XCTAssertEqual(rows.filter { $0.kind == .triggerSuspended }.count, 1, "one audit row per burst\n\(auditText(p))")
        XCTAssertTrue(rows.first { $0.kind == .triggerSuspended }?.reason.hasPrefix("DC006: more than 20 occupancy activations") ?? false,
                      auditText(p))
        XCTAssertEqual(p.brokerLines("msg=\"trigger flood: lock sessions suspended\"", "lock=DC006").count, 1)
        let counters = try XCTUnwrap(p.brokerStatus()?["counters"] as? [String: Any])
        XCTAssertEqual(counters["trigger_suspensions"] as? Int, 1)

        // Quiet again: released, and a real touch opens the door.
        XCTAssertTrue(p.broker!.waitForLine("msg=\"trigger flood over: lock sessions may open again\"", "lock=DC006", timeout: 30),
                      p.dump())
        p.at(p.now + p.options.minUnlockInterval)
        let before = p.commands("DC006").count
        try p.show("obama2.jpg") // settling hid the camera
        try p.touch("DC006")
        XCTAssertTrue(waitUntil(timeout: 30) { p.commands("DC006").count == before + 1 }, p.dump())
    }
}

/// An MQTT client that publishes as fast as asked, bounded in count and time.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
final class FloodClient: @unchecked Sendable {
    private let connection: MQTTConnection

    init(server: MosquittoServer, username: String? = nil, password: String? = nil) throws {
        connection = try MQTTConnection(options: MQTTOptions(host: server.host, port: Int(server.port),
                                                             clientID: "flood-\(getpid())", username: username,
                                                             password: password)) { _ in }
        connection.start()
        guard waitUntil(timeout: 20, { self.connection.isConnected }) else { throw PipelineError.notReady("flood client", "") }
    }

    /// Publishes `{"occupancy":true}` and `false` in turn; returns how many went out.
    func flood(topic: String, perSecond: Int, seconds: Double) -> Int {
        let start = Date()
        var sent = 0
        let total = Int(Double(perSecond) * seconds)
        while sent < total && Date().timeIntervalSince(start) < seconds + 5 {
            let due = start.addingTimeInterval(Double(sent) / Double(perSecond))
            let wait = due.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            if connection.publish(topic: topic, text: "{\"occupancy\":\(sent % 2 == 0)}") { sent += 1 }
        }
        return sent
    }

    func stop() { connection.stop(timeout: 5) }
}
