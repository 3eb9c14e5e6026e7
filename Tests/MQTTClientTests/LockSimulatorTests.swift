import Foundation
import TestSupport
import XCTest

/// `facegate-locksim` as a real process against a real mosquitto; what it publishes is
/// observed with mosquitto_sub, what it received through its record file.
final class LockSimulatorTests: XCTestCase {
    private let truePayload = #"{"occupancy":true}"#
    private let falsePayload = #"{"occupancy":false}"#

    func testTouchReportsTrueThenFalseAfterTheScaledHoldTime() throws {
        let server = try MosquittoServer()
        let subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/#")
        // 10 scenario seconds at scale 0.05: half a second of real time.
        let sim = try LockSimProcess(server: server, locks: ["DC001", "DC006"], occupancySeconds: 10, timeScale: 0.05)
        try sim.send("touch DC001")
        XCTAssertTrue(subscriber.waitForMessages(2, on: "zigbee2mqtt/DC001"), sim.child.log)
        XCTAssertEqual(subscriber.messages.map(\.payload), [truePayload, falsePayload])
        XCTAssertEqual(subscriber.messages.map(\.retain), [false, false])
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC006"), [], "only the touched lock reports")

        let reports = sim.occupancyReports(lock: "DC001")
        XCTAssertEqual(reports.map(\.occupancy), [true, false])
        let held = try XCTUnwrap(reports[1].scenarioTime) - XCTUnwrap(reports[0].scenarioTime)
        XCTAssertGreaterThanOrEqual(held, 10, "the false comes after the hold time, in scenario seconds")
        XCTAssertTrue(sim.child.log.contains("msg=\"occupancy reported\""))
    }

    func testScriptReleaseLoseFalseAndRetouch() throws {
        let server = try MosquittoServer()
        let subscriber = try MosquittoSubscriber(server: server, topic: "#")
        // Hold 2 s. DC001: forced false at 0.5, its pending false (due at 2) cancelled.
        // DC006: false lost. DC007: touched again at 1, so one false, at 3, not at 2.
        // The marker at 4 comes after every false that could have been sent.
        let script = """
            # scenario
            @0 touch DC001
            @0 touch DC006
            @0 touch DC007
            @0.5 release DC001
            @0.5 lose-false DC006
            @1 touch DC007
            @4 publish marker/done end
            """
        let sim = try LockSimProcess(server: server, locks: ["DC001", "DC006", "DC007"], occupancySeconds: 2,
                                     timeScale: 0.25, script: script)
        XCTAssertTrue(subscriber.waitForMessages(1, on: "marker/done"), sim.child.log)
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC001").map(\.payload), [truePayload, falsePayload])
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC006").map(\.payload), [truePayload], "the false never comes")
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC007").map(\.payload), [truePayload, truePayload, falsePayload])

        let dc001 = sim.occupancyReports(lock: "DC001")
        XCTAssertLessThan(try XCTUnwrap(dc001.last?.scenarioTime), 2, "released before the hold ended")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(sim.occupancyReports(lock: "DC007").last?.scenarioTime), 3,
                                    "the hold restarts with each touch")
        XCTAssertEqual(sim.records.filter { $0.event == "lose-false" }.map(\.lock), ["DC006"])
        XCTAssertEqual(subscriber.messages.last?.topic, "marker/done")
    }

    func testObeysSetCommandsAndRecordsEachOne() throws {
        let server = try MosquittoServer()
        let sim = try LockSimProcess(server: server, locks: ["DC001", "DC006"])
        try server.publish(topic: "zigbee2mqtt/DC006/set", text: #"{"state":"TOGGLE"}"#, qos: 0)
        try server.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"UNLOCK"}"#, qos: 1)
        try server.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"LOCK"}"#, qos: 1)
        try server.publish(topic: "zigbee2mqtt/DC006/set", text: #"{"state":"TOGGLE"}"#, qos: 0)
        try server.publish(topic: "zigbee2mqtt/DC006/set", text: "nope", qos: 0)
        XCTAssertTrue(sim.waitForRecords { $0.filter { $0.event == "command" }.count == 5 }, sim.child.log)

        let dc006 = sim.commands(lock: "DC006")
        XCTAssertEqual(dc006.map(\.state), ["TOGGLE", "TOGGLE", nil])
        XCTAssertEqual(dc006.prefix(2).map(\.lockState), ["unlocked", "locked"], "a second toggle locks again")
        XCTAssertEqual(dc006.map(\.qos), [0, 0, 0])
        XCTAssertNotNil(dc006[2].error)
        XCTAssertEqual(dc006[2].payload, "nope")
        let dc001 = sim.commands(lock: "DC001")
        XCTAssertEqual(dc001.map(\.state), ["UNLOCK", "LOCK"])
        XCTAssertEqual(dc001.map(\.lockState), ["unlocked", "locked"])
        XCTAssertEqual(dc001.map(\.qos), [1, 1], "the sender's QoS is visible")
        XCTAssertTrue(sim.commands().allSatisfy { $0.elapsed != nil && $0.retain == false })
        XCTAssertTrue(sim.child.log.contains("state=TOGGLE"), "each command is logged")
        XCTAssertTrue(sim.child.log.contains("msg=\"unusable command received\""))
    }

    func testBadControlCommandsAreIgnoredAndQuitExitsCleanly() throws {
        let server = try MosquittoServer()
        let subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/#")
        let sim = try LockSimProcess(server: server, locks: ["DC001"], occupancySeconds: 1000)
        try sim.send("touch DC999")
        try sim.send("dance DC001")
        try sim.send("send DC001 {\"occupancy\":\"yes\"}")
        try sim.send("touch DC001")
        XCTAssertTrue(subscriber.waitForMessages(2), sim.child.log)
        XCTAssertEqual(subscriber.messages.map(\.payload), [#"{"occupancy":"yes"}"#, truePayload])
        XCTAssertTrue(sim.child.log.contains("msg=\"unknown lock, command ignored\""))
        XCTAssertTrue(sim.child.log.contains("msg=\"bad control command ignored\""))

        try sim.send("quit")
        XCTAssertEqual(sim.child.waitForExit(timeout: 20), 0)
    }

    func testSIGTERMExitsCleanlyAndRetainOptionRetains() throws {
        let server = try MosquittoServer()
        let sim = try LockSimProcess(server: server, locks: ["DC001"], occupancySeconds: 1000, extraArguments: ["--retain"])
        try sim.send("touch DC001")
        XCTAssertTrue(sim.waitForRecords { $0.contains { $0.event == "occupancy" } })
        // A client subscribing later gets the stored report, flagged retained.
        let late = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/DC001")
        XCTAssertTrue(late.waitForMessages(1))
        XCTAssertEqual(late.messages.first?.retain, true)
        XCTAssertEqual(late.messages.first?.payload, truePayload)
        XCTAssertEqual(sim.stop(), 0)
        XCTAssertTrue(sim.child.log.contains("msg=stopped"))
    }

    func testBadScriptIsRejectedWithItsLines() throws {
        let server = try MosquittoServer()
        let sim = try LockSimProcess(server: server, locks: ["DC001"], script: "@x touch DC001\n@1 touch DC001\ntouch DC001\n",
                                     waitUntilReady: false)
        XCTAssertNotEqual(sim.child.waitForExit(timeout: 20), 0)
        XCTAssertTrue(sim.child.log.contains("line 1"), sim.child.log)
        XCTAssertTrue(sim.child.log.contains("line 3"), sim.child.log)
        XCTAssertFalse(sim.child.log.contains("line 2"), sim.child.log)
    }

    func testLocksAndBrokerComeFromTheConfigFile() throws {
        let server = try MosquittoServer()
        let subscriber = try MosquittoSubscriber(server: server, topic: "home/#")
        let config = server.directory.file("facegate.toml")
        try """
            [mqtt]
            host = "127.0.0.1"
            port = \(server.port)
            base_topic = "home"
            [[locks]]
            id = "front"
            friendly_name = "zigbee-front"
            [[locks]]
            id = "back"
            """.write(to: config, atomically: true, encoding: .utf8)
        let record = server.directory.file("config-sim.jsonl")
        let child = try ChildProcess(Paths.executable("facegate-locksim"),
                                     ["--config", config.path, "--script", try scriptFile(server, "@0 touch front\n@0 touch back\n"),
                                      "--record", record.path, "--occupancy-seconds", "1000"],
                                     logDirectory: server.directory.url, name: "config-sim")
        XCTAssertTrue(subscriber.waitForMessages(2), child.log)
        XCTAssertEqual(Set(subscriber.messages.map(\.topic)), ["home/zigbee-front", "home/back"])
        try server.publish(topic: "home/zigbee-front/set", text: #"{"state":"UNLOCK"}"#)
        XCTAssertTrue(waitUntil { (try? String(contentsOf: record, encoding: .utf8))?.contains(#""lock":"front""#) ?? false
            && (try? String(contentsOf: record, encoding: .utf8))?.contains(#""event":"command""#) ?? false }, child.log)
        XCTAssertEqual(child.terminate(), 0)
    }

    private func scriptFile(_ server: MosquittoServer, _ text: String) throws -> String {
        let url = server.directory.file("script-\(UUID().uuidString.prefix(8)).txt")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// After a command the lock reports its new bolt state as zigbee2mqtt does, relocks by
    /// itself after the relock time, and can play a dead lock (obeys, never reports) or one
    /// that loses commands (neither obeys nor reports).
    func testReportsStateRelocksAndPlaysDeadOrLosing() throws {
        let server = try MosquittoServer()
        let subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/+")
        // Relock 4 scenario seconds after an unlock, at 0.1 real s per scenario s.
        let sim = try LockSimProcess(server: server, locks: ["DC001", "DC006"], timeScale: 0.1,
                                     extraArguments: ["--relock-seconds", "4"])
        try server.publish(topic: "zigbee2mqtt/DC006/set", text: #"{"state":"UNLOCK"}"#)
        XCTAssertTrue(subscriber.waitForMessages(2, on: "zigbee2mqtt/DC006"), sim.child.log)
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC006").map(\.payload), [
            #"{"state":"UNLOCK","lock_state":"unlocked"}"#, #"{"state":"LOCK","lock_state":"locked"}"#,
        ])
        let relock = try XCTUnwrap(sim.records.first { $0.event == "relock" }?.scenarioTime)
        let command = try XCTUnwrap(sim.commands(lock: "DC006").first?.scenarioTime)
        XCTAssertGreaterThanOrEqual(relock - command, 4, "relocked after the relock time")

        try sim.send("dead DC001")
        XCTAssertTrue(sim.waitForRecords { $0.contains { $0.event == "behaviour" && $0.lock == "DC001" } })
        try server.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"UNLOCK"}"#)
        XCTAssertTrue(sim.waitForRecords { _ in sim.commands(lock: "DC001").count == 1 }, sim.child.log)
        XCTAssertEqual(sim.commands(lock: "DC001").first?.lockState, "unlocked", "a dead lock still obeys")

        try sim.send("lose DC006")
        XCTAssertTrue(sim.waitForRecords { $0.filter { $0.event == "behaviour" }.count == 2 })
        try server.publish(topic: "zigbee2mqtt/DC006/set", text: #"{"state":"UNLOCK"}"#)
        XCTAssertTrue(sim.waitForRecords { $0.contains { $0.event == "command-lost" } }, sim.child.log)
        XCTAssertEqual(sim.commands(lock: "DC006").count, 1, "a lost command is not received")

        // A marker after everything: no state report from the dead lock, none for the lost command.
        try server.publish(topic: "zigbee2mqtt/marker", text: "m")
        XCTAssertTrue(subscriber.waitForMessages(1, on: "zigbee2mqtt/marker"))
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC001"), [], "the dead lock reported")
        XCTAssertEqual(subscriber.messages(on: "zigbee2mqtt/DC006").count, 2, "the lost command was reported")
    }
}
