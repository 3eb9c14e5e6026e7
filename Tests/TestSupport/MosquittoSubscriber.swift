import Foundation

/// What a `MosquittoSubscriber` saw: one message, as `mosquitto_sub -F %j` printed it.
public struct RecordedMessage: Equatable, Sendable {
    public let topic: String
    public let payload: String
    public let qos: Int
    public let retain: Bool

    public init(topic: String, payload: String, qos: Int, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// Records every message published on a topic pattern, with the independent `mosquitto_sub`
/// tool (so tests of our own MQTT client are not judged by that client). It subscribes with
/// QoS 2, so `qos` is the QoS the publisher used.
/// Created subscribed: the initializer returns once the broker acknowledged the subscription.
/// It does not reconnect: after a broker restart, create a new one.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class MosquittoSubscriber: @unchecked Sendable {
    public let topic: String
    private let process: ChildProcess
    private let probeTopic: String

    public init(server: MosquittoServer, topic: String = "#", username: String? = nil, password: String? = nil,
                timeout: Double = 20) throws {
        self.topic = topic
        let id = UUID().uuidString.prefix(8)
        probeTopic = "facegate-test-probe/\(id)"
        process = try ChildProcess(URL(fileURLWithPath: "/usr/bin/mosquitto_sub"),
                                   server.clientArguments(username: username, password: password)
                                       + ["-q", "2", "-t", topic, "-t", probeTopic, "-F", "%j"],
                                   logDirectory: server.directory.url, name: "mosquitto_sub-\(id)")
        // mosquitto_sub's own "subscribed" line sits in its stdout buffer until a message
        // flushes it, so readiness is proven end to end: publish probes until one comes back.
        let ready = waitUntil(timeout: timeout, interval: 0.2) {
            try? server.publish(topic: probeTopic, text: "probe", qos: 0)
            return allMessages.contains { $0.topic == probeTopic }
        }
        guard ready else {
            process.terminate(grace: 1)
            throw MosquittoServerError.subscriberNotReady(log: process.log)
        }
    }

    deinit { process.terminate(grace: 2) }

    public func stop() { process.terminate(grace: 2) }

    /// Everything received so far on `topic`, in order.
    public var messages: [RecordedMessage] { allMessages.filter { $0.topic != probeTopic } }

    private var allMessages: [RecordedMessage] {
        process.log.split(separator: "\n").compactMap { line -> RecordedMessage? in
            guard line.hasPrefix("{"),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let topic = object["topic"] as? String else { return nil }
            return RecordedMessage(topic: topic, payload: object["payload"] as? String ?? "",
                                   qos: (object["qos"] as? NSNumber)?.intValue ?? 0,
                                   retain: ((object["retain"] as? NSNumber)?.intValue ?? 0) != 0)
        }
    }

    public func messages(on topic: String) -> [RecordedMessage] { messages.filter { $0.topic == topic } }

    /// Waits until at least `count` messages (on `topic`, if given) arrived.
    @discardableResult
    public func waitForMessages(_ count: Int, on topic: String? = nil, timeout: Double = 20) -> Bool {
        waitUntil(timeout: timeout, interval: 0.02) {
            (topic.map { messages(on: $0) } ?? messages).count >= count
        }
    }
}
