import Foundation
import MQTTClient
import ProcessSupport
import TestSupport
import XCTest

/// The one outcome of a `publishCommand`, for the test thread.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [PublishOutcome] = []

    func set(_ outcome: PublishOutcome) { lock.withLock { outcomes.append(outcome) } }

    /// The outcome, once there is one (nil after `timeout`); fails if there were several.
    func wait(timeout: Double = 20) -> PublishOutcome? {
        waitUntil(timeout: timeout, interval: 0.01) { lock.withLock { !outcomes.isEmpty } }
        let all = lock.withLock { outcomes }
        XCTAssertLessThanOrEqual(all.count, 1, "a command reported \(all.count) outcomes: \(all)")
        return all.first
    }
}

/// Publishes `payload` to `<lock>/set` as a command with a deadline `deadlineSeconds` from now.
func command(_ connection: MQTTConnection, _ lock: String, _ payload: String, qos: Int,
             deadlineSeconds: Double = 10) -> OutcomeBox {
    let box = OutcomeBox()
    let now = Int64(MonotonicClock.nowNanoseconds())
    connection.publishCommand(topic: "zigbee2mqtt/\(lock)/set", payload: payload, qos: qos,
                              deadlineNanoseconds: UInt64(max(0, now + Int64(deadlineSeconds * 1e9)))) { box.set($0) }
    return box
}

/// Collects a connection's events (delivered on its network thread) for the test thread.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [MQTTEvent] = []

    func record(_ event: MQTTEvent) { lock.withLock { recorded.append(event) } }

    var events: [MQTTEvent] { lock.withLock { recorded } }

    var messages: [MQTTMessage] {
        events.compactMap { if case let .message(message) = $0 { message } else { nil } }
    }

    func count(_ predicate: (MQTTEvent) -> Bool) -> Int { events.filter(predicate).count }

    var connects: Int { count { $0 == .connected } }
    var subscribes: Int { count { $0 == .subscribed } }
    var disconnects: Int { count { if case .disconnected = $0 { true } else { false } } }
    var failures: [String] { events.compactMap { if case let .connectFailed(reason) = $0 { reason } else { nil } } }

    @discardableResult
    func wait(timeout: Double = 20, _ condition: (EventRecorder) -> Bool) -> Bool {
        waitUntil(timeout: timeout, interval: 0.01) { condition(self) }
    }
}

final class MQTTConnectionTests: XCTestCase {
    private func makeConnection(_ server: MosquittoServer, clientID: String = "test-\(UUID().uuidString.prefix(8))",
                                username: String? = nil, password: String? = nil, maxPayloadBytes: Int = 64 << 10,
                                subscribe topics: [String] = ["zigbee2mqtt/#"]) throws -> (MQTTConnection, EventRecorder) {
        let recorder = EventRecorder()
        let options = MQTTOptions(host: server.host, port: Int(server.port), clientID: clientID,
                                  username: username, password: password, keepalive: 5,
                                  reconnectDelayMin: 0.05, reconnectDelayMax: 0.5, maxPayloadBytes: maxPayloadBytes)
        let connection = try MQTTConnection(options: options) { recorder.record($0) }
        for topic in topics { connection.subscribe(topic, qos: 1) }
        addTeardownBlock { connection.stop() }
        return (connection, recorder)
    }

    func testConnectsSubscribesAndReceives() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server)
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 }, "\(events.events)")
        XCTAssertTrue(connection.isConnected)
        XCTAssertEqual(events.events.prefix(2), [.connected, .subscribed])

        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#)
        try server.publish(topic: "elsewhere/DC001", text: "not subscribed")
        XCTAssertTrue(events.wait { $0.messages.count >= 1 })
        let message = try XCTUnwrap(events.messages.first)
        XCTAssertEqual(message.topic, "zigbee2mqtt/DC001")
        XCTAssertEqual(message.payloadText, #"{"occupancy":true}"#)
        XCTAssertFalse(message.retain)
        XCTAssertEqual(message.qos, 1)

        connection.stop()
        XCTAssertFalse(connection.isConnected)
        XCTAssertEqual(events.disconnects, 1)
        if case .disconnected = events.events.last {} else { XCTFail("last event: \(String(describing: events.events.last))") }
        XCTAssertEqual(events.messages.map(\.topic), ["zigbee2mqtt/DC001"], "nothing from unsubscribed topics")
    }

    func testRetainedMessagesArriveFlaggedAndLiveOnesDoNot() throws {
        let server = try MosquittoServer()
        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#, retain: true)
        let (connection, events) = try makeConnection(server)
        connection.start()
        XCTAssertTrue(events.wait { $0.messages.count == 1 })
        XCTAssertEqual(events.messages.first?.retain, true)

        XCTAssertTrue(events.wait { $0.subscribes == 1 })
        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":false}"#)
        XCTAssertTrue(events.wait { $0.messages.count == 2 })
        XCTAssertEqual(events.messages.last?.retain, false)
        XCTAssertEqual(events.messages.last?.payloadText, #"{"occupancy":false}"#)
    }

    func testReconnectsAfterBrokerIsKilledAndRestoresSubscriptions() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, subscribe: ["zigbee2mqtt/DC001", "nvr/+/motion"])
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })

        server.kill()
        XCTAssertTrue(events.wait { $0.disconnects == 1 }, "\(events.events)")
        XCTAssertFalse(connection.isConnected)
        // While the broker is away the client keeps trying (and says so).
        XCTAssertTrue(events.wait { $0.failures.count >= 2 }, "\(events.events)")

        try server.start()
        XCTAssertTrue(events.wait(timeout: 30) { $0.subscribes == 2 }, "\(events.events)")
        XCTAssertTrue(connection.isConnected)
        XCTAssertEqual(events.connects, 2)

        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#)
        try server.publish(topic: "nvr/cam-a/motion", text: "ON")
        XCTAssertTrue(events.wait { $0.messages.count == 2 }, "\(events.events)")
        XCTAssertEqual(Set(events.messages.map(\.topic)), ["zigbee2mqtt/DC001", "nvr/cam-a/motion"])

        // A clean restart (SIGTERM) is survived the same way.
        try server.restart()
        XCTAssertTrue(events.wait(timeout: 30) { $0.subscribes == 3 }, "\(events.events)")
        XCTAssertEqual(events.disconnects, 2)
    }

    func testSubscribingWhileConnectedTakesEffectAtOnce() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, subscribe: [])
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })
        connection.subscribe("late/topic")
        // Subscribing is asynchronous: publish until the first copy arrives.
        XCTAssertTrue(waitUntil(timeout: 20, interval: 0.2) {
            try? server.publish(topic: "late/topic", text: "x")
            return !events.messages.isEmpty
        })
        XCTAssertEqual(events.messages.first?.topic, "late/topic")
    }

    func testPublishGoesOutAndCommandsAreNeverQueuedWhileDisconnected() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, subscribe: [])
        XCTAssertEqual(command(connection, "DC006", #"{"state":"TOGGLE"}"#, qos: 0).wait(), .failed("MQTT not connected"),
                       "not connected yet: not handed over")
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })

        var subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/#")
        XCTAssertTrue(connection.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#, qos: 1, retain: true))
        XCTAssertEqual(command(connection, "DC006", #"{"state":"TOGGLE"}"#, qos: 0).wait(), .published("written to the socket"))
        XCTAssertEqual(command(connection, "DC001", #"{"state":"UNLOCK"}"#, qos: 1).wait(), .published("PUBACK received"))
        XCTAssertTrue(subscriber.waitForMessages(3))
        XCTAssertEqual(subscriber.messages, [
            RecordedMessage(topic: "zigbee2mqtt/DC001", payload: #"{"occupancy":true}"#, qos: 1, retain: false),
            RecordedMessage(topic: "zigbee2mqtt/DC006/set", payload: #"{"state":"TOGGLE"}"#, qos: 0, retain: false),
            RecordedMessage(topic: "zigbee2mqtt/DC001/set", payload: #"{"state":"UNLOCK"}"#, qos: 1, retain: false),
        ])

        // Broker gone: a command is refused, not queued for later.
        server.kill()
        XCTAssertTrue(events.wait { !connection.isConnected && $0.disconnects == 1 })
        XCTAssertEqual(command(connection, "DC006", #"{"state":"TOGGLE"}"#, qos: 0).wait(), .failed("MQTT not connected"))
        XCTAssertEqual(command(connection, "DC001", #"{"state":"UNLOCK"}"#, qos: 1).wait(), .failed("MQTT not connected"))
        try server.start()
        subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/#")
        XCTAssertTrue(events.wait(timeout: 30) { $0.subscribes == 2 })
        // Messages of one client arrive in order: once the marker is there, anything queued
        // from before the reconnect would be too.
        XCTAssertTrue(connection.publish(topic: "zigbee2mqtt/marker", text: "m"))
        XCTAssertTrue(subscriber.waitForMessages(1, on: "zigbee2mqtt/marker"))
        XCTAssertEqual(subscriber.messages.map(\.topic), ["zigbee2mqtt/marker"], "no command replayed after the reconnect")
    }

    /// mosquitto frozen with a QoS 1 UNLOCK unacknowledged, then killed and restarted: the
    /// command fails at its deadline and is never delivered afterwards, although libmosquitto
    /// resends unacknowledged QoS 1 messages after a reconnect (with a clean session too).
    func testUnacknowledgedCommandFailsAtItsDeadlineAndIsNeverResent() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, subscribe: [])
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })
        let pid = try XCTUnwrap(server.process?.pid)
        kill(pid, SIGSTOP)
        let outcome = command(connection, "DC006", #"{"state":"UNLOCK"}"#, qos: 1, deadlineSeconds: 1)
        XCTAssertNil(outcome.wait(timeout: 0.5), "no PUBACK can come from a frozen broker")
        XCTAssertEqual(outcome.wait(timeout: 10), .unacknowledged("no PUBACK before the deadline"))
        XCTAssertEqual(connection.commandsInFlight, 0)
        kill(pid, SIGKILL)
        server.kill()
        try server.start()
        let subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/#")
        XCTAssertTrue(events.wait(timeout: 30) { $0.subscribes == 2 }, "\(events.events)")
        XCTAssertTrue(connection.publish(topic: "zigbee2mqtt/marker", text: "m", qos: 1))
        XCTAssertTrue(subscriber.waitForMessages(1, on: "zigbee2mqtt/marker"))
        XCTAssertEqual(subscriber.messages.map(\.topic), ["zigbee2mqtt/marker"], "the abandoned UNLOCK was resent")
    }

    /// A QoS 1 command in flight when the connection drops fails then; one past its deadline
    /// before it is published is never handed over.
    func testCommandsInFlightFailWhenTheConnectionDrops() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, subscribe: [])
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })
        XCTAssertEqual(command(connection, "DC001", #"{"state":"UNLOCK"}"#, qos: 1, deadlineSeconds: -1).wait(),
                       .failed("deadline passed before publishing"))
        let pid = try XCTUnwrap(server.process?.pid)
        kill(pid, SIGSTOP)
        let outcome = command(connection, "DC006", #"{"state":"UNLOCK"}"#, qos: 1, deadlineSeconds: 30)
        kill(pid, SIGKILL)
        guard case let .unacknowledged(reason)? = outcome.wait(timeout: 20) else {
            return XCTFail("expected no acknowledgement, got \(String(describing: outcome.wait(timeout: 0)))")
        }
        XCTAssertTrue(reason.hasPrefix("connection lost before PUBACK"), reason)
        server.kill()
    }

    func testOversizePayloadsAreDroppedBeforeDelivery() throws {
        let server = try MosquittoServer()
        let (connection, events) = try makeConnection(server, maxPayloadBytes: 1024)
        connection.start()
        XCTAssertTrue(events.wait { $0.subscribes == 1 })
        try server.publish(topic: "zigbee2mqtt/DC001", payload: Array(repeating: UInt8(ascii: "x"), count: 1 << 20))
        try server.publish(topic: "zigbee2mqtt/DC001", payload: Array(repeating: UInt8(ascii: "y"), count: 1025))
        try server.publish(topic: "zigbee2mqtt/DC001", payload: Array(repeating: UInt8(ascii: "z"), count: 1024))
        XCTAssertTrue(events.wait { $0.messages.count == 1 })
        XCTAssertEqual(events.messages.first?.payload.count, 1024, "the one within the limit")
        XCTAssertEqual(connection.oversizeDropped, 2)
        XCTAssertTrue(connection.isConnected, "a huge message does not cost the connection")
    }

    func testCredentialsAreUsedAndAWrongPasswordFailsCleanly() throws {
        let server = try MosquittoServer(users: ["facegate": "right-secret"])

        let (good, goodEvents) = try makeConnection(server, username: "facegate", password: "right-secret")
        good.start()
        XCTAssertTrue(goodEvents.wait { $0.subscribes == 1 }, "\(goodEvents.events)")

        let (bad, badEvents) = try makeConnection(server, username: "facegate", password: "wrong")
        bad.start()
        // Refused, reported, retried with backoff; never connected.
        XCTAssertTrue(badEvents.wait { $0.failures.count >= 2 }, "\(badEvents.events)")
        XCTAssertEqual(badEvents.connects, 0)
        XCTAssertFalse(bad.isConnected)
        XCTAssertTrue(badEvents.failures.allSatisfy { !$0.isEmpty })

        let (anonymous, anonymousEvents) = try makeConnection(server)
        anonymous.start()
        XCTAssertTrue(anonymousEvents.wait { $0.failures.count >= 1 })
        XCTAssertEqual(anonymousEvents.connects, 0)

        bad.stop()
        anonymous.stop()
        // The good connection was never disturbed by the refused ones.
        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#)
        XCTAssertTrue(goodEvents.wait { $0.messages.count == 1 })
        XCTAssertEqual(goodEvents.disconnects, 0)
    }

    func testInvalidOptionsAreRejectedUpFront() {
        XCTAssertThrowsError(try MQTTConnection(options: MQTTOptions(port: 0, clientID: "x")) { _ in })
        XCTAssertThrowsError(try MQTTConnection(options: MQTTOptions(clientID: "x", tlsCAFile: "/nonexistent/ca.pem")) { _ in }) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/ca.pem"))
        }
        XCTAssertThrowsError(try MQTTConnection(options: MQTTOptions(clientID: "x", tlsCertFile: "/tmp/c.pem")) { _ in })
    }
}
