import Foundation
import ProcessSupport
import WireProtocol
import Synchronization

/// One peer on a Unix stream socket, speaking length-prefixed messages.
///
/// Receiving is for one thread at a time (each connection has its reader); sending may come
/// from any thread and is serialised, so a frame is never interleaved with another message.
///
/// Reason for @unchecked: the decoder, read buffer and message clock belong to the one reader
/// thread; `peerHello`/`peerCredentials` are set during the handshake, before the connection
/// is shared; sends are serialised by `sendLock`.
public final class MessageConnection: @unchecked Sendable {
    public let socket: UnixSocket
    /// The peer's hello once the handshake is done.
    public private(set) var peerHello: Hello?
    /// Who the kernel says the peer is (server side only).
    public internal(set) var peerCredentials: PeerCredentials?

    /// Once the first byte of a message is in, the whole message must be in within this many
    /// seconds, or `receive` throws `messageDeadlineExceeded`. Quiet between whole messages is
    /// never limited: tap clients are silent by design, and captures and recognizers send
    /// heartbeats of their own. nil: no deadline (a client trusting its server).
    public var messageDeadlineSeconds: Double?

    private var decoder: FrameDecoder
    private var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private let sendLock = NSLock()
    /// When the first byte of the message now incomplete arrived; nil between messages.
    private var messageStartNs: UInt64?
    private var bodiesSeen = 0
    private let anyBytesReceived = Atomic<Bool>(false)

    /// Whether the peer has sent anything yet; read from other threads (the server's accept
    /// loop picks an idle connection to close with it).
    public var hasReceivedBytes: Bool { anyBytesReceived.load(ordering: .relaxed) }

    public init(socket: UnixSocket, maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength) {
        self.socket = socket
        self.decoder = FrameDecoder(maxBodyLength: maxBodyLength)
    }

    /// Connects to `path` and exchanges hellos. Throws if the server refuses us or is not one
    /// of `expecting`.
    public static func connect(path: String, hello: Hello, expecting roles: Set<PeerRole>,
                               maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength,
                               handshakeTimeout: Double = 5) throws -> MessageConnection {
        let connection = MessageConnection(socket: try UnixSocket.connect(path: path), maxBodyLength: maxBodyLength)
        do {
            try connection.handshake(local: hello, accepting: roles, timeout: handshakeTimeout)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// "recognizer:r1 pid=4242" — how log lines name this peer.
    public var peerLabel: String {
        var label = peerHello.map { h in "\(h.role):\(h.camera.isEmpty ? h.name : h.camera)" } ?? "unidentified"
        if let pid = peerCredentials?.pid ?? peerHello.map({ Int32(bitPattern: $0.pid) }) { label += " pid=\(pid)" }
        return label
    }

    /// Exchanges hellos and checks version and role. On a mismatch the peer gets an error
    /// message saying why before we throw, so both logs tell the same story. The client speaks
    /// first; the server answers only after checking, so a refused client reads the refusal
    /// instead of a hello.
    /// `timeout` bounds the whole exchange, not each read: a peer that trickles its hello a
    /// byte at a time is cut off all the same.
    /// `admit` runs on the server side once the hello is valid and before it is answered; it
    /// throws to refuse the peer (capacity).
    @discardableResult
    public func handshake(local: Hello, accepting roles: Set<PeerRole>, timeout: Double = 5, asServer: Bool = false,
                          admit: () throws -> Void = {}) throws -> Hello {
        let deadline = MonotonicClock.nowNanoseconds() &+ UInt64(max(0, timeout) * 1e9)
        if !asServer { try send(.hello(local)) }
        let first: Message
        do {
            first = try receive(before: deadline)
        } catch WireError.timedOut {
            throw WireError.timedOut(operation: "handshake (no hello within \(WireError.seconds(timeout)) s)")
        }
        guard case let .hello(hello) = first else {
            if case let .error(e) = first { throw WireError.peerRejected(reason: "\(e.code): \(e.text)") }
            try? send(.error(ErrorMessage(code: .badMessage, text: "expected hello, got \(first.kind)")))
            throw WireError.expectedHello(got: first.kind.description)
        }
        guard hello.version == local.version else {
            try? send(.error(ErrorMessage(code: .unsupportedVersion,
                                          text: "protocol version \(hello.version) unsupported, this side speaks \(local.version)")))
            throw WireError.unsupportedVersion(got: hello.version, expected: local.version)
        }
        guard roles.contains(hello.role) else {
            let expected = roles.map(\.description).sorted()
            try? send(.error(ErrorMessage(code: .roleRejected,
                                          text: "role \(hello.role) not accepted here (expected \(expected.joined(separator: "|")))")))
            throw WireError.unexpectedRole(got: hello.role.description, expected: expected)
        }
        if asServer {
            try admit()
            try send(.hello(local))
        }
        peerHello = hello
        return hello
    }

    public func send(_ message: Message) throws {
        let (head, pixels) = MessageCodec.encodeParts(message)
        sendLock.lock(); defer { sendLock.unlock() }
        try head.withUnsafeBytes { headBytes in
            if let pixels {
                try pixels.withUnsafeBytes { try socket.writeAll([headBytes, $0]) }
            } else {
                try socket.writeAll([headBytes])
            }
        }
    }

    /// Sends bytes as they are: for the tap proxy and for tests that play a broken peer.
    public func sendRaw(_ bytes: [UInt8]) throws {
        sendLock.lock(); defer { sendLock.unlock() }
        try socket.writeAll(bytes)
    }

    /// Blocks until a whole message is in. Throws `WireError.closed` on a clean EOF.
    public func receive() throws -> Message {
        try receive(before: nil)
    }

    /// Blocks until a whole body is in, undecoded (the proxy forwards bytes it cannot parse).
    public func receiveBody() throws -> [UInt8] {
        while true {
            if let body = decoder.nextBody() { return body }
            try fill(before: nil)
        }
    }

    /// `deadline` (CLOCK_MONOTONIC ns): throw `timedOut` if no whole message by then.
    private func receive(before deadline: UInt64?) throws -> Message {
        while true {
            if let body = decoder.nextBody() { return try MessageCodec.decodeBody(body) }
            try fill(before: deadline)
        }
    }

    private func fill(before deadline: UInt64?) throws {
        var waitUntil = deadline
        var messageDue: UInt64?
        if let start = messageStartNs, let seconds = messageDeadlineSeconds {
            messageDue = start &+ UInt64(seconds * 1e9)
            waitUntil = min(waitUntil ?? .max, messageDue!)
        }
        if let waitUntil, !(try socket.waitReadable(until: waitUntil)) {
            if let messageDue, messageDue <= waitUntil {
                throw WireError.messageDeadlineExceeded(seconds: messageDeadlineSeconds ?? 0,
                                                        received: decoder.bufferedByteCount,
                                                        announced: decoder.announcedBodyLength)
            }
            throw WireError.timedOut(operation: "receive")
        }
        let n = try readBuffer.withUnsafeMutableBytes { try socket.read(into: $0) }
        if n == 0 {
            if decoder.bufferedByteCount > 0 { throw WireError.closedMidFrame(bufferedBytes: decoder.bufferedByteCount) }
            throw WireError.closed
        }
        anyBytesReceived.store(true, ordering: .relaxed)
        try readBuffer.withUnsafeBytes { try decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        // A message that began in this read (after another ended, or from nothing) is timed
        // from now; one still arriving keeps the instant its first byte came.
        if decoder.bufferedByteCount == 0 {
            messageStartNs = nil
        } else if messageStartNs == nil || decoder.completedBodyCount != bodiesSeen {
            messageStartNs = MonotonicClock.nowNanoseconds()
        }
        bodiesSeen = decoder.completedBodyCount
    }

    /// Tells the peer why, then closes. For protocol faults; best effort.
    public func fail(_ code: ErrorCode, _ text: String) {
        try? send(.error(ErrorMessage(code: code, text: text)))
        close()
    }

    public func close() { socket.close() }
}

extension WireError {
    /// The error code to tell a peer whose bytes caused this error.
    public var peerErrorCode: ErrorCode {
        switch self {
        case .frameTooLarge: .frameTooLarge
        case .unsupportedVersion: .unsupportedVersion
        case .unexpectedRole: .roleRejected
        case .peerRejected: .peerRejected
        default: .badMessage
        }
    }
}
