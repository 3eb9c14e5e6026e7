import Foundation
import ProcessSupport
import WireProtocol

/// Serves one Unix socket path: accepts peers, checks who they are (SO_PEERCRED uid, then the
/// hello's version and role), and runs `handler` for each on a thread of its own.
///
/// A peer that sends garbage, lies about its length, speaks another version or plays the
/// wrong role gets an error message naming the fault, one log line, and its connection
/// closed. Nothing it does reaches the other peers or the process.
///
/// Nor can peers starve it. A connection that has not yet sent a valid hello is
/// *unidentified*: those have their own small table (`maxUnidentified`) and a short
/// `handshakeTimeoutSeconds`, and when the table is full the oldest is closed to make room,
/// so a flood of idle connects costs a few threads and never refuses a real peer, which
/// says hello as soon as it connects. Only identified peers count against `maxConnections`.
/// After the handshake every message must complete within `messageDeadlineSeconds` of its
/// first byte, and buffers grow only with the bytes received.
public final class MessageServer: Sendable {
    public struct Options: Sendable {
        public var path: String
        public var mode: mode_t = 0o600
        public var localHello: Hello
        public var acceptedRoles: Set<PeerRole>
        public var maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength
        /// Identified peers (valid hello) beyond this many are refused rather than served.
        public var maxConnections: Int = 64
        /// Connections still waiting for their hello; the oldest is closed when one more comes.
        public var maxUnidentified: Int = 16
        /// From accept to a valid hello, in all.
        public var handshakeTimeoutSeconds: Double = 3
        /// From the first byte of a message to its last. Unix sockets move tens of MiB in
        /// milliseconds, so a few seconds only ever cuts off a peer that stalled mid-message.
        public var messageDeadlineSeconds: Double = 5
        /// uids allowed to connect; nil means our own uid and root.
        public var allowedUIDs: Set<UInt32>? = nil
        /// Roles bound to users; when set it decides instead of `allowedUIDs`, and a socket
        /// serving a bound role is made group-accessible (mode | 0o060) so those users reach it.
        public var admission: PeerAdmission? = nil
        public var sendTimeoutSeconds: Double = 10

        public init(path: String, localHello: Hello, acceptedRoles: Set<PeerRole>) {
            self.path = path
            self.localHello = localHello
            self.acceptedRoles = acceptedRoles
        }
    }

    /// Runs after a successful handshake, on the connection's thread; the connection is closed
    /// when it returns or throws.
    public typealias Handler = @Sendable (MessageConnection) throws -> Void

    public let options: Options
    private let log: Log
    private let handler: Handler
    private struct State {
        var listener: UnixSocket?
        var connections: [ObjectIdentifier: MessageConnection] = [:]
        /// Accepted, hello not yet valid; oldest first.
        var unidentified: [MessageConnection] = []
        var evictions = 0
        var stopped = false
    }

    private let state = Locked(State())

    public init(options: Options, log: Log, handler: @escaping Handler) {
        self.options = options
        self.log = log.with(["socket": options.path])
        self.handler = handler
    }

    /// Identified peers being served.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Connections accepted whose hello has not come yet.
    public var unidentifiedCount: Int { state.withLock { $0.unidentified.count } }

    public func start() throws {
        // A process started before whatever makes the sockets directory still serves.
        let directory = (options.path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        }
        let shared = options.admission?.bindsAny(of: options.acceptedRoles) == true
        let listener = try UnixSocket.listen(path: options.path, mode: shared ? options.mode | 0o060 : options.mode)
        state.withLock { $0.listener = listener }
        log.info("listening", ["roles": options.acceptedRoles.map(\.description).sorted().joined(separator: ",")])
        Thread.detachNewThread { [self] in acceptLoop(listener) }
    }

    /// Closes the listener and every connection, and removes the socket file.
    public func stop() {
        let (listener, open) = state.withLock { s in
            s.stopped = true
            return (s.listener, Array(s.connections.values) + s.unidentified)
        }
        listener?.close()
        if listener != nil { unlink(options.path) }
        open.forEach { $0.close() }
    }

    private func acceptLoop(_ listener: UnixSocket) {
        while true {
            let socket: UnixSocket
            do {
                socket = try listener.accept()
            } catch {
                let done = state.withLock { $0.stopped }
                if !done { log.error("accept failed, listener closed", ["error": "\(error)"]) }
                return
            }
            let connection = MessageConnection(socket: socket, maxBodyLength: options.maxBodyLength)
            connection.messageDeadlineSeconds = options.messageDeadlineSeconds
            let maxUnidentified = max(1, options.maxUnidentified)
            let (evicted, evictionCount) = state.withLock { s -> (MessageConnection?, Int) in
                var evicted: MessageConnection?
                if s.unidentified.count >= maxUnidentified {
                    // A real peer says hello right after connecting: close the oldest that has
                    // sent nothing at all, so a flood of idle connects only ever pushes out its own.
                    let silent = s.unidentified.firstIndex { !$0.hasReceivedBytes && $0.socket.pendingByteCount == 0 }
                    evicted = s.unidentified.remove(at: silent ?? 0)
                    s.evictions += 1
                }
                s.unidentified.append(connection)
                return (evicted, s.evictions)
            }
            if let evicted {
                // One line per flood, not per connect: the first, then every hundredth.
                if evictionCount == 1 || evictionCount % 100 == 0 {
                    log.warning("closing unidentified peer to make room: too many connections without a hello",
                                ["limit": options.maxUnidentified, "closed_so_far": evictionCount])
                }
                evicted.fail(.peerRejected, "no hello yet and too many unidentified connections")
            }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    /// Moves a peer whose hello is valid from the unidentified table to the served ones, or
    /// refuses it before it is answered.
    private func admit(_ connection: MessageConnection) throws {
        let maxConnections = options.maxConnections
        try state.withLock { s in
            // Closed to make room while its hello was on the way: nothing left to serve.
            guard let index = s.unidentified.firstIndex(where: { $0 === connection }) else { throw WireError.closed }
            guard s.connections.count < maxConnections else {
                throw WireError.peerRejected(reason: "too many connections (limit \(maxConnections))")
            }
            s.unidentified.remove(at: index)
            s.connections[ObjectIdentifier(connection)] = connection
        }
    }

    private func wasEvicted(_ connection: MessageConnection) -> Bool {
        state.withLock { s in
            s.connections[ObjectIdentifier(connection)] == nil && !s.unidentified.contains { $0 === connection }
        }
    }

    private func refuse(_ peer: PeerCredentials, roles: Set<PeerRole>, admission: PeerAdmission,
                        connection: MessageConnection) {
        let sorted = roles.sorted { $0.description < $1.description }
        let names = sorted.map(\.description)
        let expected = sorted.map { "\($0): \(admission.expected(for: $0))" }.joined(separator: "; ")
        log.warning("refusing peer: credentials not allowed for role \(names.joined(separator: "/"))",
                    ["role": names.joined(separator: ","), "peer_pid": peer.pid, "peer_uid": peer.uid,
                     "peer_gid": peer.gid, "expected": expected])
        connection.fail(.peerRejected, "uid \(peer.uid) gid \(peer.gid) may not act as \(names.joined(separator: "/"))")
    }

    private func serve(_ connection: MessageConnection) {
        defer {
            connection.close()
            state.withLock { s in
                s.connections[ObjectIdentifier(connection)] = nil
                s.unidentified.removeAll { $0 === connection }
            }
        }
        do {
            let credentials = try connection.socket.peerCredentials()
            connection.peerCredentials = credentials
            if let admission = options.admission {
                // Refused before the hello when no role of this socket would take these
                // credentials, so a stranger never gets to send more than a connect.
                guard admission.admitsAny(of: options.acceptedRoles, credentials) else {
                    refuse(credentials, roles: options.acceptedRoles, admission: admission, connection: connection)
                    return
                }
            } else if !(options.allowedUIDs ?? [UInt32(geteuid()), 0]).contains(credentials.uid) {
                log.warning("refusing peer: uid not allowed", ["peer": credentials])
                connection.fail(.peerRejected, "uid \(credentials.uid) not allowed")
                return
            }
            connection.socket.setSendTimeout(seconds: options.sendTimeoutSeconds)
            try connection.handshake(local: options.localHello, accepting: options.acceptedRoles,
                                     timeout: options.handshakeTimeoutSeconds, asServer: true) { [self] in try admit(connection) }
            if let admission = options.admission, let role = connection.peerHello?.role,
               !admission.admits(credentials, as: role) {
                refuse(credentials, roles: [role], admission: admission, connection: connection)
                return
            }
            log.info("peer connected", ["peer": connection.peerLabel, "name": connection.peerHello?.name ?? ""])
            try handler(connection)
            log.info("peer disconnected", ["peer": connection.peerLabel])
        } catch where wasEvicted(connection) {
            // Already counted in the flood's log line; its socket is closed.
        } catch WireError.closed where connection.peerHello == nil {
            // Connected and left without a word: a probe or a flood, not worth a line each.
            log.debug("unidentified peer disconnected", ["peer": connection.peerLabel])
        } catch WireError.closed {
            log.info("peer disconnected", ["peer": connection.peerLabel])
        } catch let error as WireError {
            log.warning("closing connection: \(error)", ["peer": connection.peerLabel])
            connection.fail(error.peerErrorCode, error.description)
        } catch {
            log.warning("closing connection: \(error)", ["peer": connection.peerLabel])
            connection.fail(.internalError, "\(error)")
        }
    }
}
