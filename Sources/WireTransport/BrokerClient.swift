import Foundation
import ProcessSupport
import WireProtocol

/// A process's connection to one of the broker's sockets, kept up forever: connect and
/// exchange hellos, reconnect with jittered backoff (one warning at the first failure, debug
/// lines after), read what the broker sends on a thread of its own, and send a heartbeat at a
/// fixed interval while connected. Capture and recognizer differ only in what they do with
/// a connection, which they say through `Handlers`.
///
/// Handlers run on the client's threads and never under its lock, so they may call back into
/// the client (`send`, `connection`).
public final class BrokerClient: Sendable {
    public struct Options: Sendable {
        public var socketPath: String
        public var hello: Hello
        public var maxBodyLength: Int
        /// A broker that stops reading makes a send fail after this long instead of blocking.
        public var sendTimeout: Double
        public var heartbeatInterval: Double
        /// What this process does while the broker is away ("dropping frames"), for the
        /// "broker unavailable" and "connection lost" warnings.
        public var whileAway: String?

        public init(socketPath: String, hello: Hello, maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength,
                    sendTimeout: Double = 5, heartbeatInterval: Double = 1, whileAway: String? = nil) {
            self.socketPath = socketPath
            self.hello = hello
            self.maxBodyLength = maxBodyLength
            self.sendTimeout = sendTimeout
            self.heartbeatInterval = heartbeatInterval
            self.whileAway = whileAway
        }
    }

    public struct Handlers: Sendable {
        /// The hello exchange is done; the connection is current.
        public var connected: @Sendable (MessageConnection) -> Void
        /// A message other than heartbeat or error (those the client handles itself).
        public var received: @Sendable (Message, MessageConnection) -> Void
        /// A body that did not decode. Return true when it was dealt with and the stream is
        /// still in step (the length prefix delimited it); false makes it a protocol fault:
        /// the broker is told why and the connection is re-made.
        public var undecodable: @Sendable ([UInt8], WireError, MessageConnection) -> Bool
        /// The connection is no longer current (closed by either side, or a send failed).
        public var disconnected: @Sendable (MessageConnection) -> Void
        /// The heartbeat to send now.
        public var heartbeat: @Sendable () -> Heartbeat
        /// A heartbeat went out (per-interval figures may start again).
        public var heartbeatSent: @Sendable () -> Void

        public init(connected: @escaping @Sendable (MessageConnection) -> Void = { _ in },
                    received: @escaping @Sendable (Message, MessageConnection) -> Void = { _, _ in },
                    undecodable: @escaping @Sendable ([UInt8], WireError, MessageConnection) -> Bool = { _, _, _ in false },
                    disconnected: @escaping @Sendable (MessageConnection) -> Void = { _ in },
                    heartbeat: @escaping @Sendable () -> Heartbeat,
                    heartbeatSent: @escaping @Sendable () -> Void = {}) {
            self.connected = connected
            self.received = received
            self.undecodable = undecodable
            self.disconnected = disconnected
            self.heartbeat = heartbeat
            self.heartbeatSent = heartbeatSent
        }
    }

    private struct State {
        var connection: MessageConnection?
        var everConnected = false
        var reconnects: UInt64 = 0
        var protocolFaults: UInt64 = 0
    }

    public let options: Options
    private let handlers: Handlers
    private let log: Log
    private let tap: TapHub?
    private let state = Locked(State())
    private let stopFlag = StopFlag()
    private let threads = DispatchGroup()

    public init(options: Options, log: Log, tap: TapHub?, handlers: Handlers) {
        self.options = options
        self.handlers = handlers
        self.log = log.with(["broker": options.socketPath])
        self.tap = tap
    }

    /// The current connection, nil while the broker is away.
    public var connection: MessageConnection? { state.withLock { $0.connection } }
    public var isConnected: Bool { connection != nil }
    /// Connections made after the first.
    public var reconnects: UInt64 { state.withLock { $0.reconnects } }
    /// Connections dropped because the broker sent bytes that did not decode.
    public var protocolFaults: UInt64 { state.withLock { $0.protocolFaults } }

    public func start() {
        threads.enter()
        Thread.detachNewThread { [self] in connectLoop(); threads.leave() }
        threads.enter()
        Thread.detachNewThread { [self] in heartbeatLoop(); threads.leave() }
    }

    /// Closes the connection and ends the client's threads (waiting up to `timeout`).
    public func stop(timeout: Double = 10) {
        stopFlag.stop()
        let open = state.withLock { s -> MessageConnection? in
            defer { s.connection = nil }
            return s.connection
        }
        open?.close()
        _ = threads.wait(timeout: .now() + timeout)
    }

    public var isStopped: Bool { stopFlag.isStopped }

    /// Sends on `open`. False when the write failed: the connection is then dropped, and the
    /// reader (which sees it close) reconnects.
    @discardableResult
    public func send(_ message: Message, on open: MessageConnection) -> Bool {
        do {
            try open.send(message)
            tap?.publish(.sent, peer: "broker", message)
            return true
        } catch {
            let wasCurrent = state.withLock { s -> Bool in
                guard s.connection === open else { return false }
                s.connection = nil
                return true
            }
            if wasCurrent && !isStopped {
                log.warning("send to broker failed, dropping the connection", ["kind": message.kind, "error": "\(error)"])
            }
            open.close()
            return false
        }
    }

    // MARK: Connect and read

    private func connectLoop() {
        var backoff = Backoff(initial: 0.1, maximum: 5)
        var failures = 0
        let away = options.whileAway.map { ", \($0) meanwhile" } ?? ""
        while !isStopped {
            do {
                let open = try MessageConnection.connect(path: options.socketPath, hello: options.hello, expecting: [.broker],
                                                         maxBodyLength: options.maxBodyLength)
                open.socket.setSendTimeout(seconds: options.sendTimeout)
                let current = state.withLock { s -> Bool in
                    guard !stopFlag.isStopped else { return false }
                    s.connection = open
                    if s.everConnected { s.reconnects += 1 }
                    s.everConnected = true
                    return true
                }
                guard current else { open.close(); return }
                log.info("connected to broker", ["peer": open.peerHello?.name ?? "", "attempts": failures + 1])
                failures = 0
                backoff.reset()
                handlers.connected(open)
                let reason = readUntilClosed(open)
                state.withLock { s in if s.connection === open { s.connection = nil } }
                open.close()
                handlers.disconnected(open)
                if isStopped { return }
                log.warning("broker connection lost" + (options.whileAway.map { "; \($0) until it is back" } ?? "; reconnecting"),
                            ["reason": reason])
            } catch {
                failures += 1
                if failures == 1 {
                    log.warning("broker unavailable; retrying with backoff\(away)", ["error": "\(error)"])
                } else {
                    log.debug("broker still unavailable", ["error": "\(error)", "attempt": failures])
                }
            }
            if stopFlag.wait(seconds: backoff.next()) { return }
        }
    }

    /// Reads what the broker sends until the connection ends; returns why it ended.
    private func readUntilClosed(_ open: MessageConnection) -> String {
        do {
            while true {
                let body = try open.receiveBody()
                let message: Message
                do {
                    message = try MessageCodec.decodeBody(body)
                } catch let error as WireError {
                    if handlers.undecodable(body, error, open) { continue }
                    state.withLock { $0.protocolFaults += 1 }
                    log.error("undecodable message from broker; closing the connection", ["error": error.description])
                    open.fail(error.peerErrorCode, error.description)
                    return "protocol fault: \(error)"
                }
                tap?.publish(.received, peer: "broker", message)
                switch message {
                case .heartbeat:
                    break
                case let .error(error):
                    log.warning("broker reports an error", ["code": error.code, "txn": hexTxn(error.txn), "text": error.text])
                default:
                    handlers.received(message, open)
                }
            }
        } catch WireError.closed {
            return "closed by broker"
        } catch {
            return "\(error)"
        }
    }

    // MARK: Heartbeats

    private func heartbeatLoop() {
        while !stopFlag.wait(seconds: options.heartbeatInterval) {
            guard let open = connection else { continue }
            if send(.heartbeat(handlers.heartbeat()), on: open) { handlers.heartbeatSent() }
        }
    }
}
