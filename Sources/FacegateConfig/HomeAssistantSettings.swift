/// `[home_assistant]`: announce locks and cameras to Home Assistant through its MQTT discovery.
///
/// Off by default: a site without Home Assistant gets no retained configs on its bus. The
/// broker publishes under two trees, both of them facegate's alone in the ACL (`facegate mqtt
/// acl`): the discovery configs under `<discovery_prefix>/<component>/<node_id>/...` and the
/// entities' states and availability under `facegate/<node_id>/...`.
public struct HomeAssistantSettings: Equatable, Sendable {
    public var enabled: Bool
    /// Home Assistant's `discovery_prefix` (its MQTT integration's setting).
    public var discoveryPrefix: String
    /// Names this facegate among others on the same bus: part of every topic and unique id.
    public var nodeID: String

    public init(enabled: Bool = false, discoveryPrefix: String = "homeassistant", nodeID: String = "facegate") {
        self.enabled = enabled
        self.discoveryPrefix = discoveryPrefix
        self.nodeID = nodeID
    }

    /// Where the entities' states live: `facegate/<node_id>`.
    public var stateRoot: String { "facegate/\(nodeID)" }

    /// The broker's availability: `online` (retained) while connected, `offline` by its will.
    public var availabilityTopic: String { "\(stateRoot)/availability" }

    /// Home Assistant's birth and last-will topic; `online` there asks for every config again.
    public var statusTopic: String { "\(discoveryPrefix)/status" }

    /// Discovery config topics of this node, for the ACL: `<prefix>/+/<node_id>/#`.
    public var configFilter: String { "\(discoveryPrefix)/+/\(nodeID)/#" }

    /// Home Assistant takes node and object ids from `[a-zA-Z0-9_-]` only.
    public static func topicIDProblem(_ id: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        if id.isEmpty { return "must not be empty" }
        if !id.allSatisfy({ allowed.contains($0) }) {
            return "may only contain letters, digits, '_' and '-' (Home Assistant's rule for discovery ids), got \"\(id)\""
        }
        return nil
    }

    /// A lock or camera id as a discovery object id: ids may contain '.', Home Assistant's
    /// object ids may not.
    public static func objectID(_ id: String) -> String {
        String(id.map { $0 == "." ? "_" : $0 })
    }

    init(_ reader: TableReader) {
        let defaults = HomeAssistantSettings()
        enabled = reader.bool("enabled", default: defaults.enabled)
        discoveryPrefix = reader.string("discovery_prefix").flatMap { prefix in
            TopicRules.problem(prefix).map { reader.problem("discovery_prefix", $0); return nil } ?? prefix
        } ?? defaults.discoveryPrefix
        nodeID = reader.string("node_id").flatMap { id in
            HomeAssistantSettings.topicIDProblem(id).map { reader.problem("node_id", $0); return nil } ?? id
        } ?? defaults.nodeID
        reader.finish()
    }
}
