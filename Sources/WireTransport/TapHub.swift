import Foundation
import ProcessSupport
import WireProtocol

/// Copies of the messages a process sends and receives, for `facegate-tap attach`.
///
/// Publishing never blocks the pipeline: each subscriber has a bounded queue drained by its
/// own thread; when a subscriber falls behind, its oldest copies are dropped and counted.
/// Reason for @unchecked: the subscriber list is guarded by `lock`; each subscriber's queue by
/// its own `condition`, which its drain thread waits on.
public final class TapHub: @unchecked Sendable {
    /// Reason for @unchecked: `queue`, `dropped` and `closed` are guarded by `condition`.
    private final class Subscriber: @unchecked Sendable {
        let connection: MessageConnection
        let filter: TapSubscribe
        let condition = NSCondition()
        var queue: [[UInt8]] = []
        var dropped: UInt64 = 0
        var closed = false
        init(connection: MessageConnection, filter: TapSubscribe) { self.connection = connection; self.filter = filter }
    }

    public static let queueLimit = 256

    private let lock = NSLock()
    private var subscribers: [ObjectIdentifier: Subscriber] = [:]
    private let log: Log

    public init(log: Log) { self.log = log }

    public var subscriberCount: Int {
        lock.lock(); defer { lock.unlock() }
        return subscribers.count
    }

    /// Offers a copy of `message` to every subscriber whose filter wants it. Cheap when nobody
    /// is attached: one lock and an empty check.
    public func publish(_ direction: TapDirection, peer: String, _ message: Message) {
        lock.lock()
        let current = Array(subscribers.values)
        lock.unlock()
        guard !current.isEmpty else { return }
        let now = MonotonicClock.nowNanoseconds()
        var encoded: [Bool: [UInt8]] = [:]
        for subscriber in current {
            let filter = subscriber.filter
            guard filter.wants(message.kind) else { continue }
            if !filter.camera.isEmpty && message.camera != filter.camera { continue }
            let strip = !filter.includePixels
            let body = encoded[strip] ?? MessageCodec.encodeTapEvent(monotonicNs: now, direction: direction, peer: peer,
                                                                    message: message, stripPixels: strip)
            encoded[strip] = body
            subscriber.condition.lock()
            if subscriber.queue.count >= TapHub.queueLimit {
                subscriber.queue.removeFirst()
                subscriber.dropped += 1
            }
            subscriber.queue.append(body)
            subscriber.condition.signal()
            subscriber.condition.unlock()
        }
    }

    /// Serves one tap client until it goes away: reads its subscription, then writes copies.
    /// Call from the connection's thread (a `MessageServer` handler).
    public func serve(_ connection: MessageConnection) throws {
        guard case let .tapSubscribe(filter) = try connection.receive() else {
            throw WireError.invalidField(field: "tap", reason: "first message after hello must be tap-subscribe")
        }
        let subscriber = Subscriber(connection: connection, filter: filter)
        lock.lock(); subscribers[ObjectIdentifier(subscriber)] = subscriber; lock.unlock()
        defer {
            lock.lock(); subscribers[ObjectIdentifier(subscriber)] = nil; lock.unlock()
            if subscriber.dropped > 0 {
                log.warning("tap subscriber fell behind", ["peer": connection.peerLabel, "dropped": subscriber.dropped])
            }
        }
        // A reader that notices the client leaving, so the writer below stops waiting.
        Thread.detachNewThread {
            while (try? connection.receive()) != nil {}
            subscriber.condition.lock(); subscriber.closed = true; subscriber.condition.signal(); subscriber.condition.unlock()
        }
        while true {
            subscriber.condition.lock()
            while subscriber.queue.isEmpty && !subscriber.closed { subscriber.condition.wait() }
            if subscriber.closed { subscriber.condition.unlock(); return }
            let batch = subscriber.queue
            subscriber.queue.removeAll(keepingCapacity: true)
            subscriber.condition.unlock()
            for body in batch {
                var prefix = [UInt8](repeating: 0, count: 4)
                let n = UInt32(body.count)
                prefix[0] = UInt8(n >> 24); prefix[1] = UInt8(truncatingIfNeeded: n >> 16)
                prefix[2] = UInt8(truncatingIfNeeded: n >> 8); prefix[3] = UInt8(truncatingIfNeeded: n)
                try prefix.withUnsafeBytes { p in try body.withUnsafeBytes { try connection.socket.writeAll([p, $0]) } }
            }
        }
    }
}

/// The tap/control socket every process offers: tap clients get copies of its traffic, admin
/// clients get its status as JSON.
public final class ControlServer: Sendable {
    public let hub: TapHub
    private let server: MessageServer

    public init(path: String, localHello: Hello, log: Log, hub: TapHub, admission: PeerAdmission? = nil,
                status: @escaping @Sendable () -> String) {
        self.hub = hub
        var options = MessageServer.Options(path: path, localHello: localHello, acceptedRoles: [.tap, .admin])
        options.admission = admission
        options.maxBodyLength = 1 << 16
        server = MessageServer(options: options, log: log) { connection in
            switch connection.peerHello?.role {
            case .tap?:
                try hub.serve(connection)
            default:
                while true {
                    let request = try connection.receive()
                    guard case .statusRequest = request else {
                        throw WireError.invalidField(field: "control", reason: "admin peers may only send status-request, got \(request.kind)")
                    }
                    try connection.send(.statusReply(StatusReply(json: status())))
                }
            }
        }
    }

    public func start() throws { try server.start() }
    public func stop() { server.stop() }
}
