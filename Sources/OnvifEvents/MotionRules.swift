import Foundation

/// An event topic: the namespace of its first segment's prefix and the path of local names.
///
/// Cameras write the same topic many ways: `tns1:RuleEngine/CellMotionDetector/Motion` with
/// tns1 declared on the Envelope, on the NotificationMessage or on the Topic itself, under
/// another prefix (`ns2:`, `onvif:`), or with prefixed later segments
/// (`tns1:RuleEngine/tnsaxis:VMD3/...`). Prefixes are resolved against the namespaces in scope,
/// later segments compared by local name. A prefix nobody declared is taken at its word only
/// for the conventional `tns1` (cameras that forget the declaration exist).
public struct EventTopic: Hashable, Sendable, CustomStringConvertible {
    /// "" when the topic text had no prefix, or its prefix could not be resolved.
    public var namespace: String
    public var path: [String]

    public init(namespace: String, path: [String]) { self.namespace = namespace; self.path = path }

    public init?(qualified text: String, namespaces: [String: String]) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let first = segments.first, !first.isEmpty, !segments.contains(where: \.isEmpty) else { return nil }
        var namespace = ""
        if let colon = first.firstIndex(of: ":") {
            let prefix = String(first[..<colon])
            namespace = namespaces[prefix] ?? (prefix == "tns1" ? Namespace.topics : "")
        }
        let path = segments.map { segment in segment.split(separator: ":").last.map(String.init) ?? segment }
        guard path.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else { return nil }
        self.init(namespace: namespace, path: path)
    }

    /// A topic as the configuration writes it: `tns1:` means the ONVIF topic namespace.
    public init?(configured text: String) {
        self.init(qualified: text, namespaces: ["tns1": Namespace.topics])
        guard text.hasPrefix("tns1:") || !text.contains(":") else { return nil }
    }

    /// Same path, and the same namespace unless one side's is unknown.
    public func matches(_ other: EventTopic) -> Bool {
        path == other.path && (namespace == other.namespace || namespace.isEmpty || other.namespace.isEmpty)
    }

    public var description: String {
        let joined = path.joined(separator: "/")
        switch namespace {
        case Namespace.topics: return "tns1:" + joined
        case "": return joined
        default: return "{\(namespace)}" + joined
        }
    }
}

/// Which topic means motion, and which Data item carries its boolean state.
public struct MotionRule: Hashable, Sendable, CustomStringConvertible {
    public var topic: EventTopic
    public var item: String

    public init(topic: EventTopic, item: String) { self.topic = topic; self.item = item }

    /// ONVIF's two motion events: the cell motion detector rule (Analytics Service §5.2.3,
    /// Data `IsMotion`) and the video source's motion alarm (Event §9.9 / Profile T, Data `State`).
    public static let standard = [
        MotionRule(topic: EventTopic(namespace: Namespace.topics, path: ["RuleEngine", "CellMotionDetector", "Motion"]), item: "IsMotion"),
        MotionRule(topic: EventTopic(namespace: Namespace.topics, path: ["VideoSource", "MotionAlarm"]), item: "State"),
    ]

    public var description: String { "\(topic) \(item)" }

    /// xs:boolean, as cameras write it (some capitalise).
    public static func boolean(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}

/// What one notification meant for motion.
public struct MotionReading: Sendable, Equatable {
    public var rule: MotionRule
    /// nil: the motion source was deleted (PropertyOperation Deleted).
    public var state: Bool?
    /// Which source (video source token, rule name) it is about, as `Name=Value` pairs.
    public var sourceKey: String
}

/// The camera's motion as one boolean, from every source that reports it: on while any
/// (rule, source) pair is on. Reset when the subscription is lost, since the states it holds
/// may be stale by then (the new subscription's Initialized messages restore them).
public struct MotionAggregator: Sendable {
    public let rules: [MotionRule]
    private var states: [String: Bool] = [:]

    public init(rules: [MotionRule]) { self.rules = rules }

    public var isMotion: Bool { states.values.contains(true) }

    /// Applies one notification; nil when it is not about motion (another topic, or a motion
    /// topic without a readable state item: reported by `problem`).
    public mutating func apply(_ notification: EventNotification) -> MotionReading? {
        guard let rule = rules.first(where: { $0.topic.matches(notification.topic) }) else { return nil }
        let sourceKey = notification.source.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: ",")
        let key = "\(rule)|\(sourceKey)"
        if notification.propertyOperation == "Deleted" {
            states[key] = nil
            return MotionReading(rule: rule, state: nil, sourceKey: sourceKey)
        }
        guard let value = notification.data.first(where: { $0.name == rule.item })?.value,
              let state = MotionRule.boolean(value) else { return nil }
        states[key] = state
        return MotionReading(rule: rule, state: state, sourceKey: sourceKey)
    }

    /// Why a notification on a motion topic was not understood, for the log; nil otherwise.
    public func problem(_ notification: EventNotification) -> String? {
        guard let rule = rules.first(where: { $0.topic.matches(notification.topic) }),
              notification.propertyOperation != "Deleted" else { return nil }
        guard let value = notification.data.first(where: { $0.name == rule.item })?.value else {
            return "\(notification.topic) without a Data item \(rule.item) (items: \(notification.data.map(\.name).joined(separator: ",")))"
        }
        return MotionRule.boolean(value) == nil ? "\(notification.topic) \(rule.item)=\"\(value)\" is not a boolean" : nil
    }

    public mutating func reset() { states = [:] }
}
