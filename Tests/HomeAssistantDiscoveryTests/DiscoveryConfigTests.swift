import BrokerCore
import FacegateConfig
import Foundation
import HomeAssistantDiscovery
import XCTest

/// The discovery configs against Home Assistant's documented MQTT discovery: topic layout,
/// schema keys, and state topics that match the ones states are published on.
final class DiscoveryConfigTests: XCTestCase {
    let discovery = HomeAssistantDiscovery(
        settings: HomeAssistantSettings(enabled: true, discoveryPrefix: "ha", nodeID: "front_site"),
        locks: ["DC001", "door.2"], cameras: ["cam-a"], softwareVersion: "9.8.7")

    private func json(_ message: DiscoveryMessage) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any], message.payload)
    }

    func testEachLockHasADecisionSensorAndASessionBinarySensorAndEachCameraAnOnlineOne() throws {
        let configs = discovery.configs()
        XCTAssertEqual(configs.map(\.topic), [
            "ha/sensor/front_site/DC001_last_decision/config",
            "ha/binary_sensor/front_site/DC001_session_open/config",
            "ha/sensor/front_site/door_2_last_decision/config",
            "ha/binary_sensor/front_site/door_2_session_open/config",
            "ha/binary_sensor/front_site/cam-a_online/config",
        ])
        XCTAssertTrue(configs.allSatisfy(\.retain))
        // Home Assistant's object ids: [a-zA-Z0-9_-] only.
        for config in configs {
            let object = config.topic.split(separator: "/")[3]
            XCTAssertNil(HomeAssistantSettings.topicIDProblem(String(object)), config.topic)
        }
    }

    func testTheDecisionSensorReadsTheKindFromItsJSONStateAndOffersEveryKind() throws {
        let sensor = try json(discovery.configs()[0])
        XCTAssertEqual(sensor["name"] as? String, "Last decision")
        XCTAssertEqual(sensor["unique_id"] as? String, "facegate_front_site_DC001_last_decision")
        XCTAssertEqual(sensor["state_topic"] as? String, "facegate/front_site/lock/DC001/decision")
        XCTAssertEqual(sensor["json_attributes_topic"] as? String, "facegate/front_site/lock/DC001/decision")
        XCTAssertEqual(sensor["value_template"] as? String, "{{ value_json.kind }}")
        XCTAssertEqual(sensor["device_class"] as? String, "enum")
        XCTAssertEqual(sensor["options"] as? [String], DecisionKind.allCases.map(\.rawValue))
        XCTAssertEqual(sensor["availability_topic"] as? String, "facegate/front_site/availability")
        XCTAssertEqual(sensor["payload_available"] as? String, "online")
        XCTAssertEqual(sensor["payload_not_available"] as? String, "offline")
        let device = try XCTUnwrap(sensor["device"] as? [String: Any])
        XCTAssertEqual(device["identifiers"] as? [String], ["facegate_front_site_lock_DC001"])
        XCTAssertEqual(device["name"] as? String, "Door DC001")
        XCTAssertEqual(device["manufacturer"] as? String, "facegate")
        XCTAssertNotNil(device["model"] as? String)
        XCTAssertEqual(device["sw_version"] as? String, "9.8.7")
        let origin = try XCTUnwrap(sensor["origin"] as? [String: Any])
        XCTAssertEqual(origin["name"] as? String, "facegate")
        XCTAssertEqual(origin["sw_version"] as? String, "9.8.7")
        // Keys of the binary sensors only are not sent for a sensor.
        XCTAssertNil(sensor["payload_on"])
    }

    func testBinarySensorsSayOccupancyAndConnectivityWithOnOffPayloadsOnTheirStateTopics() throws {
        let configs = discovery.configs()
        let session = try json(configs[1])
        XCTAssertEqual(session["device_class"] as? String, "occupancy")
        XCTAssertEqual(session["state_topic"] as? String, discovery.sessionTopic(lock: "DC001"))
        XCTAssertEqual(session["payload_on"] as? String, "ON")
        XCTAssertEqual(session["payload_off"] as? String, "OFF")
        // Both entities of a lock are on the same device.
        XCTAssertEqual((session["device"] as? [String: Any])?["identifiers"] as? [String], ["facegate_front_site_lock_DC001"])

        let online = try json(configs[4])
        XCTAssertEqual(online["device_class"] as? String, "connectivity")
        XCTAssertEqual(online["entity_category"] as? String, "diagnostic")
        XCTAssertEqual(online["state_topic"] as? String, "facegate/front_site/camera/cam-a/online")
        XCTAssertEqual((online["device"] as? [String: Any])?["name"] as? String, "Camera cam-a")

        // The states the broker publishes go exactly where the configs point.
        XCTAssertEqual(discovery.session(lock: "DC001", open: true), DiscoveryMessage(topic: session["state_topic"] as! String, payload: "ON"))
        XCTAssertEqual(discovery.camera("cam-a", online: false), DiscoveryMessage(topic: online["state_topic"] as! String, payload: "OFF"))
        let uniqueIDs = try configs.map { try json($0)["unique_id"] as? String }
        XCTAssertEqual(Set(uniqueIDs).count, configs.count, "unique ids must be unique: \(uniqueIDs)")
    }

    func testAvailabilityIsOnlineWhenConnectedAndTheWillSaysOffline() {
        XCTAssertEqual(discovery.available, DiscoveryMessage(topic: "facegate/front_site/availability", payload: "online"))
        XCTAssertEqual(discovery.will, DiscoveryMessage(topic: "facegate/front_site/availability", payload: "offline"))
        XCTAssertEqual(discovery.settings.statusTopic, "ha/status")
        XCTAssertEqual(discovery.settings.configFilter, "ha/+/front_site/#")
    }
}
