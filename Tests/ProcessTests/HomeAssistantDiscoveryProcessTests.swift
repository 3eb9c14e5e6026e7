import Foundation
import TestSupport
import XCTest

/// Home Assistant's MQTT discovery on the real broker process, on a closed bus whose ACL is
/// what `facegate mqtt acl` prints: the test's MQTT client logs in as Home Assistant's user.
/// Messages that arrive live carry no retain flag (MQTT sets it only for stored messages handed
/// to a new subscription), so what is retained is read by subscribers that come later.
final class HomeAssistantDiscoveryProcessTests: XCTestCase {
    let node = BrokerHarness.homeAssistantNode
    var availability: String { "facegate/\(node)/availability" }

    private func json(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    private func payloads(_ subscriber: MosquittoSubscriber, _ topic: String) -> [String] {
        subscriber.messages(on: topic).map(\.payload)
    }

    /// Configs with Home Assistant's schema keys whose state topics all get states; a touch
    /// and a decision move them; a birth message brings every config again; a killed broker
    /// leaves `offline` behind (its will).
    func testDiscoveryConfigsStatesBirthAndWill() throws {
        let h = try BrokerHarness(.init(homeAssistant: true))
        let configs = try MosquittoSubscriber(server: h.mosquitto, topic: "homeassistant/#")
        let states = try MosquittoSubscriber(server: h.mosquitto, topic: "facegate/\(node)/#")
        try h.startBroker()

        // 2 locks x (sensor + binary sensor) + 1 camera.
        let configTopics = [
            "homeassistant/sensor/\(node)/DC001_last_decision/config", "homeassistant/binary_sensor/\(node)/DC001_session_open/config",
            "homeassistant/sensor/\(node)/DC006_last_decision/config", "homeassistant/binary_sensor/\(node)/DC006_session_open/config",
            "homeassistant/binary_sensor/\(node)/cam-a_online/config",
        ]
        XCTAssertTrue(configs.waitForMessages(5), "\(configs.messages)\n\(h.dump())")
        XCTAssertEqual(configs.messages.map(\.topic), configTopics)
        var stateTopics: [String: [String: Any]] = [:]
        for message in configs.messages {
            let config = try XCTUnwrap(json(message.payload), message.payload)
            for key in ["name", "unique_id", "state_topic", "availability_topic", "payload_available", "payload_not_available",
                        "device", "origin"] {
                XCTAssertNotNil(config[key], "\(message.topic) lacks \(key)")
            }
            let device = try XCTUnwrap(config["device"] as? [String: Any])
            for key in ["identifiers", "name", "manufacturer", "model", "sw_version"] {
                XCTAssertNotNil(device[key], "\(message.topic) device lacks \(key)")
            }
            XCTAssertEqual(config["availability_topic"] as? String, availability)
            XCTAssertEqual(config["payload_available"] as? String, "online")
            XCTAssertEqual(config["payload_not_available"] as? String, "offline")
            let component = message.topic.split(separator: "/")[1]
            XCTAssertEqual(config["device_class"] as? String, [
                "DC001_last_decision": "enum", "DC006_last_decision": "enum", "DC001_session_open": "occupancy",
                "DC006_session_open": "occupancy", "cam-a_online": "connectivity",
            ][String(message.topic.split(separator: "/")[3])], message.topic)
            if component == "sensor" {
                XCTAssertEqual(config["value_template"] as? String, "{{ value_json.kind }}")
                XCTAssertEqual(config["json_attributes_topic"] as? String, config["state_topic"] as? String)
            } else {
                XCTAssertEqual(config["payload_on"] as? String, "ON")
                XCTAssertEqual(config["payload_off"] as? String, "OFF")
            }
            stateTopics[try XCTUnwrap(config["state_topic"] as? String)] = config
        }
        XCTAssertEqual(Set(stateTopics.keys).count, 5)

        XCTAssertTrue(states.waitForMessages(1, on: availability), h.dump())
        XCTAssertEqual(states.messages(on: availability).last, RecordedMessage(topic: availability, payload: "online", qos: 1, retain: false))
        let camera = "facegate/\(node)/camera/cam-a/online"
        let session = "facegate/\(node)/lock/DC006/session"
        let decision = "facegate/\(node)/lock/DC006/decision"
        let decision1 = "facegate/\(node)/lock/DC001/decision"
        XCTAssertTrue(states.waitForMessages(1, on: camera))
        XCTAssertEqual(payloads(states, camera), ["OFF"])
        XCTAssertEqual(payloads(states, session), ["OFF"])

        // A capture connects: the camera is online.
        let cam = try TestCamera(socketsDirectory: h.socketsDirectory)
        let recognizer = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        defer { recognizer.close() }
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"), h.dump())
        XCTAssertTrue(waitUntil(timeout: 5) { payloads(states, camera) == ["OFF", "ON"] }, "\(payloads(states, camera))")

        // A touch opens DC006's session; obama is shown and DC006 unlocks.
        try h.touch("DC006")
        XCTAssertTrue(waitUntil(timeout: 5) { payloads(states, session) == ["OFF", "ON"] }, "\(payloads(states, session))")
        try cam.show("obama2.jpg")
        XCTAssertTrue(states.waitForMessages(1, on: decision), h.dump())
        let shown = try XCTUnwrap(json(payloads(states, decision)[0]))
        XCTAssertEqual(shown["kind"] as? String, "unlock")
        XCTAssertEqual(shown["member"] as? String, "obama")
        XCTAssertEqual(shown["camera"] as? String, "cam-a")
        XCTAssertNotNil((shown["time"] as? String).flatMap { ISO8601DateFormatter.fractional.date(from: $0) }, "\(shown)")
        XCTAssertEqual(h.waitForAudit(1).first?.kind, .unlock)

        // A stranger at DC001: that lock's sensor moves too (DC006's session may still be open).
        try h.touch("DC001")
        try cam.show("lin-manuel-miranda.png")
        XCTAssertTrue(states.waitForMessages(1, on: decision1), h.dump())
        let stranger = try XCTUnwrap(json(payloads(states, decision1).last!))
        XCTAssertEqual(stranger["kind"] as? String, "unknown_face")
        XCTAssertTrue(stranger["member"] is NSNull, "\(stranger)")

        // The touches end (the simulated lock's occupancy:false after 10 scenario seconds).
        XCTAssertTrue(waitUntil(timeout: 10) { payloads(states, session).last == "OFF" }, "\(payloads(states, session))")
        // Every state topic a config names has really been given a state.
        for topic in stateTopics.keys.sorted() {
            XCTAssertFalse(states.messages(on: topic).isEmpty, "no state on \(topic)")
        }

        // Home Assistant's birth: every config again, the same.
        let before = configs.messages.count
        try h.mosquitto.publish(topic: "homeassistant/status", text: "online", username: "homeassistant")
        // The birth itself is on homeassistant/# too.
        XCTAssertTrue(configs.waitForMessages(before + 6), "\(configs.messages.count)\n\(h.dump())")
        Thread.sleep(forTimeInterval: 0.3)
        let again = configs.messages.dropFirst(before).filter { $0.topic != "homeassistant/status" }
        XCTAssertEqual(again.map(\.topic), configTopics)
        XCTAssertEqual(again.map(\.payload), configs.messages.prefix(5).map(\.payload))
        XCTAssertTrue(h.broker.waitForLine("msg=\"home assistant discovery published\"", "reason=\"home assistant online\""))
        // Something else on the status topic is not a birth.
        try h.mosquitto.publish(topic: "homeassistant/status", text: "offline", username: "homeassistant")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(configs.messages.filter { $0.topic != "homeassistant/status" }.count, 10)

        // Killed: mosquitto publishes the will.
        h.broker.signal(SIGKILL)
        _ = h.broker.waitForExit(timeout: 10)
        XCTAssertTrue(waitUntil(timeout: 10) { payloads(states, availability).last == "offline" }, "\(payloads(states, availability))")
        let dead = try MosquittoSubscriber(server: h.mosquitto, topic: "facegate/\(node)/#")
        XCTAssertTrue(dead.waitForMessages(1, on: availability))
        XCTAssertEqual(dead.messages(on: availability), [RecordedMessage(topic: availability, payload: "offline", qos: 1, retain: true)])
        // The states stay retained beside it, the last decision with them.
        XCTAssertEqual(dead.messages(on: decision).map(\.retain), [true])
        XCTAssertEqual(json(dead.messages(on: decision)[0].payload)?["kind"] as? String, json(payloads(states, decision).last!)?["kind"] as? String)

        // Back: online again, and a Home Assistant that starts now finds every config retained.
        try h.startBroker()
        XCTAssertTrue(waitUntil(timeout: 10) { payloads(states, availability).last == "online" }, "\(payloads(states, availability))")
        let late = try MosquittoSubscriber(server: h.mosquitto, topic: "homeassistant/#")
        XCTAssertTrue(late.waitForMessages(5))
        XCTAssertEqual(Set(late.messages.map(\.topic)), Set(configTopics))
        XCTAssertTrue(late.messages.allSatisfy(\.retain))
    }

    /// A clean stop says `offline` itself: a DISCONNECT makes mosquitto drop the will, so
    /// without the broker's own message Home Assistant would go on showing it available.
    /// mosquitto may still publish the will as well, when the close races an answer it is
    /// sending (it then takes the connection for lost): a second `offline` is harmless.
    func testACleanStopLeavesOfflineBehind() throws {
        let h = try BrokerHarness(.init(homeAssistant: true))
        let states = try MosquittoSubscriber(server: h.mosquitto, topic: "facegate/\(node)/#")
        try h.startBroker()
        // The announcement's last message: every one before it was handed over.
        XCTAssertTrue(states.waitForMessages(1, on: "facegate/\(node)/camera/cam-a/online"), h.dump())
        XCTAssertEqual(payloads(states, availability), ["online"])
        XCTAssertEqual(h.broker.terminate(grace: 10), 0, h.dump())
        XCTAssertTrue(waitUntil(timeout: 10) { payloads(states, availability).count >= 2 }, "\(payloads(states, availability))")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(Set(payloads(states, availability).dropFirst()), ["offline"], "\(payloads(states, availability))")
        let later = try MosquittoSubscriber(server: h.mosquitto, topic: availability)
        XCTAssertTrue(later.waitForMessages(1))
        // Retained: a Home Assistant that starts now reads it (QoS 0 ours, 1 the will's).
        XCTAssertEqual(later.messages.map { [$0.payload, "\($0.retain)"] }, [["offline", "true"]], h.mosquitto.log)
    }
}

private extension ISO8601DateFormatter {
    static var fractional: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
