/// One MQTT message for Home Assistant: a discovery config, a state or the availability.
public struct DiscoveryMessage: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var payload: String
    /// Configs, states and availability are all retained: Home Assistant (re)starting after
    /// we published still finds each entity and its current state.
    public var retain: Bool

    public init(topic: String, payload: String, retain: Bool = true) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }

    public var description: String { "\(topic) \(payload)" }
}
