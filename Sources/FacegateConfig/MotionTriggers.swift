import Foundation

/// `frigate = { ... }` in a `[[cameras]]` entry: Frigate's object events on MQTT open, refresh
/// and close this camera's motion session.
public struct FrigateTrigger: Equatable, Sendable {
    /// The camera's name in Frigate (`after.camera` of its events).
    public var camera: String
    /// Object labels that count (`after.label`).
    public var labels: [String]
    /// Frigate zones of which the object must be in one now (`after.current_zones`); empty:
    /// anywhere in the frame.
    public var zones: [String]
    /// Where Frigate publishes its events.
    public var topic: String

    public init(camera: String, labels: [String] = ["person"], zones: [String] = [], topic: String = "frigate/events") {
        self.camera = camera; self.labels = labels; self.zones = zones; self.topic = topic
    }

    init?(_ reader: TableReader) {
        let camera = reader.required("camera")
        labels = reader.stringArray("labels") ?? ["person"]
        if labels.isEmpty { reader.problem("labels", "must name at least one object label (e.g. \"person\")") }
        for (offset, label) in labels.enumerated() where label.isEmpty {
            reader.problems.add(reader.path + ["labels", KeyLineIndex.element(offset)], "must not be empty")
        }
        zones = reader.stringArray("zones") ?? []
        topic = reader.string("topic") ?? "frigate/events"
        if let problem = TopicRules.problem(topic) { reader.problem("topic", problem) }
        reader.finish()
        guard let camera else { return nil }
        self.camera = camera
    }
}

/// `onvif = { ... }` in a `[[cameras]]` entry: facegate-onvif subscribes to the camera's
/// PullPoint events and feeds its motion to the broker.
public struct OnvifTrigger: Equatable, Sendable {
    /// The device service, e.g. `http://192.0.2.10/onvif/device_service`.
    public var url: String
    public var username: String
    /// The camera password, alone in this file (read by facegate-onvif only).
    public var passwordFile: String
    /// Extra motion topics beyond the standard two: `tns1:` topic → the Data item holding the state.
    public var topics: [String: String]
    /// PullMessages long-poll timeout, seconds.
    public var pullTimeout: Int
    /// Subscription lifetime asked for, seconds; renewed well before it ends.
    public var subscriptionSeconds: Int
    /// Deadline of every other request, seconds.
    public var requestTimeout: Double
    /// Largest response body accepted; a bigger one is refused unread.
    public var maxResponseBytes: Int

    public init(url: String, username: String, passwordFile: String, topics: [String: String] = [:], pullTimeout: Int = 10,
                subscriptionSeconds: Int = 60, requestTimeout: Double = 10, maxResponseBytes: Int = 1 << 20) {
        self.url = url; self.username = username; self.passwordFile = passwordFile; self.topics = topics
        self.pullTimeout = pullTimeout; self.subscriptionSeconds = subscriptionSeconds
        self.requestTimeout = requestTimeout; self.maxResponseBytes = maxResponseBytes
    }

    init?(_ reader: TableReader) {
        let url = reader.required("url")
        if let url {
            let parsed = URL(string: url)
            if !(parsed?.scheme == "http" || parsed?.scheme == "https") || (parsed?.host ?? "").isEmpty {
                reader.problem("url", "must be the camera's device service as http://HOST[:PORT]/PATH (or https://), not \"\(url)\"")
            }
        }
        let username = reader.required("username")
        let passwordFile = reader.required("password_file")
        topics = [:]
        if let table = reader.subtable("topics") {
            for key in table.table.keys {
                guard let item = table.nonEmptyString(key) else { continue }
                if OnvifTrigger.topicProblem(key) != nil {
                    table.problem(key, OnvifTrigger.topicProblem(key)!)
                } else {
                    topics[key] = item
                }
            }
            table.finish()
        }
        pullTimeout = reader.int("pull_timeout", default: 10, in: 1...60)
        subscriptionSeconds = reader.int("subscription_seconds", default: 60, in: 10...86400)
        if subscriptionSeconds < pullTimeout * 2 {
            reader.problem("subscription_seconds", "must be at least twice pull_timeout (\(pullTimeout)), or the subscription ends between two pulls")
        }
        requestTimeout = reader.number("request_timeout", default: 10, in: 0...300, exclusiveLower: true)
        maxResponseBytes = reader.int("max_response_bytes", default: 1 << 20, in: 4096...(64 << 20))
        reader.finish()
        guard let url, let username, let passwordFile else { return nil }
        self.url = url; self.username = username; self.passwordFile = passwordFile
    }

    /// A topic key must be `tns1:Path/To/Event` (the ONVIF topic namespace) or a bare path.
    static func topicProblem(_ topic: String) -> String? {
        let path = topic.hasPrefix("tns1:") ? String(topic.dropFirst(5)) : topic
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if path.isEmpty || segments.contains(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace }) }) {
            return "topic \"\(topic)\" must be written tns1:Segment/Segment/... (no empty segments or spaces)"
        }
        if path.contains(":") && !topic.hasPrefix("tns1:") {
            return "topic \"\(topic)\": only the tns1: prefix (http://www.onvif.org/ver10/topics) is known; write other topics without a prefix"
        }
        return nil
    }
}
