import BrokerCore
import FacegateConfig
import Foundation

/// Home Assistant's MQTT discovery for one facegate: the config of every entity, the topics
/// their states go to, and the state payloads. Pure values; the broker publishes them.
///
/// Per lock: a sensor "Last decision" (state: the decision kind, attributes: member, camera,
/// time, reason) and a binary sensor "Session open" (occupancy: a keypad session is open).
/// Per camera: a binary sensor "Online" (connectivity: its facegate-capture is connected).
/// Every entity is available while the broker's availability topic says `online`; the broker
/// sets that on each connect and leaves `offline` behind as its MQTT will.
public struct HomeAssistantDiscovery: Sendable {
    public let settings: HomeAssistantSettings
    public let locks: [String]
    public let cameras: [String]
    public let softwareVersion: String

    public static let online = "online"
    public static let offline = "offline"
    public static let on = "ON"
    public static let off = "OFF"

    public init(settings: HomeAssistantSettings, locks: [String], cameras: [String], softwareVersion: String) {
        self.settings = settings
        self.locks = locks
        self.cameras = cameras
        self.softwareVersion = softwareVersion
    }

    public init(configuration: FacegateConfiguration, softwareVersion: String) {
        self.init(settings: configuration.homeAssistant, locks: configuration.locks.map(\.id),
                  cameras: configuration.cameras.map(\.id), softwareVersion: softwareVersion)
    }

    // MARK: Topics

    public func decisionTopic(lock: String) -> String { "\(settings.stateRoot)/lock/\(lock)/decision" }
    public func sessionTopic(lock: String) -> String { "\(settings.stateRoot)/lock/\(lock)/session" }
    public func onlineTopic(camera: String) -> String { "\(settings.stateRoot)/camera/\(camera)/online" }

    /// `<prefix>/<component>/<node_id>/<object_id>/config`.
    func configTopic(component: String, object: String) -> String {
        "\(settings.discoveryPrefix)/\(component)/\(settings.nodeID)/\(object)/config"
    }

    // MARK: Messages

    /// The broker's MQTT will: what mosquitto publishes when the broker vanishes.
    public var will: DiscoveryMessage { DiscoveryMessage(topic: settings.availabilityTopic, payload: Self.offline) }
    public var available: DiscoveryMessage { DiscoveryMessage(topic: settings.availabilityTopic, payload: Self.online) }

    /// Every entity's discovery config, locks first, in configuration order.
    public func configs() -> [DiscoveryMessage] {
        var out: [DiscoveryMessage] = []
        for lock in locks {
            let object = HomeAssistantSettings.objectID(lock)
            let device = self.device(kind: "lock", id: lock, name: "Door \(lock)", model: "facegate door (keypad lock)")
            out.append(message(component: "sensor", object: "\(object)_last_decision", EntityConfig(
                name: "Last decision", uniqueID: uniqueID("\(object)_last_decision"), stateTopic: decisionTopic(lock: lock),
                valueTemplate: "{{ value_json.kind }}", jsonAttributesTopic: decisionTopic(lock: lock),
                deviceClass: "enum", options: DecisionKind.allCases.map(\.rawValue),
                availabilityTopic: settings.availabilityTopic, payloadAvailable: Self.online,
                payloadNotAvailable: Self.offline, device: device, origin: origin)))
            out.append(message(component: "binary_sensor", object: "\(object)_session_open", EntityConfig(
                name: "Session open", uniqueID: uniqueID("\(object)_session_open"), stateTopic: sessionTopic(lock: lock),
                payloadOn: Self.on, payloadOff: Self.off, deviceClass: "occupancy",
                availabilityTopic: settings.availabilityTopic, payloadAvailable: Self.online,
                payloadNotAvailable: Self.offline, device: device, origin: origin)))
        }
        for camera in cameras {
            let object = HomeAssistantSettings.objectID(camera)
            out.append(message(component: "binary_sensor", object: "\(object)_online", EntityConfig(
                name: "Online", uniqueID: uniqueID("camera_\(object)_online"), stateTopic: onlineTopic(camera: camera),
                payloadOn: Self.on, payloadOff: Self.off, deviceClass: "connectivity", entityCategory: "diagnostic",
                availabilityTopic: settings.availabilityTopic, payloadAvailable: Self.online,
                payloadNotAvailable: Self.offline,
                device: device(kind: "camera", id: camera, name: "Camera \(camera)", model: "facegate camera (capture)"),
                origin: origin)))
        }
        return out
    }

    public func session(lock: String, open: Bool) -> DiscoveryMessage {
        DiscoveryMessage(topic: sessionTopic(lock: lock), payload: open ? Self.on : Self.off)
    }

    public func camera(_ camera: String, online: Bool) -> DiscoveryMessage {
        DiscoveryMessage(topic: onlineTopic(camera: camera), payload: online ? Self.on : Self.off)
    }

    public func decision(lock: String, _ state: LockDecisionState) -> DiscoveryMessage {
        DiscoveryMessage(topic: decisionTopic(lock: lock), payload: state.payload)
    }

    // MARK: Parts

    /// Unique across facegates on one Home Assistant: the node id is in it.
    private func uniqueID(_ object: String) -> String { "facegate_\(settings.nodeID)_\(object)" }

    private func device(kind: String, id: String, name: String, model: String) -> DeviceInfo {
        DeviceInfo(identifiers: [uniqueID("\(kind)_\(HomeAssistantSettings.objectID(id))")], name: name,
                   manufacturer: "facegate", model: model, swVersion: softwareVersion)
    }

    private var origin: OriginInfo { OriginInfo(name: "facegate", swVersion: softwareVersion) }

    private func message(component: String, object: String, _ config: EntityConfig) -> DiscoveryMessage {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, arrays of strings and nested objects of those: encoding cannot fail.
        let payload = (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return DiscoveryMessage(topic: configTopic(component: component, object: object), payload: payload)
    }
}
