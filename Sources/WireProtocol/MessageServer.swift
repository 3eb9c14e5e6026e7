import Foundation
import ProcessSupport

/// Serves one Unix socket path: accepts peers, checks who they are (SO_PEERCRED uid, then the
/// hello's version and role), and runs `handler` for each on a thread of its own.
///
/// A peer that sends garbage, lies about its length, speaks another version or plays the
/// wrong role gets an error message naming the fault, one log line, and its connection
/// closed. Nothing it does reaches the other peers or the process.
public final class MessageServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var path: String
        public var mode: mode_t = 0o600
        public var localHello: Hello
        public var acceptedRoles: Set<PeerRole>
        public var maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength
        /// Peers beyond this many are refused at once rather than given a thread.
        public var maxConnections: Int = 64
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
    private var listener: UnixSocket?
    private let lock = NSLock()
    private var connections: [ObjectIdentifier: MessageConnection] = [:]
    private var stopped = false

    public init(options: Options, log: Log, handler: @escaping Handler) {
        self.options = options
        self.log = log.with(["socket": options.path])
        self.handler = handler
    }

    public var connectionCount: Int {
        lock.lock(); defer { lock.unlock() }
        return connections.count
    }

    public func start() throws {
        // A process started before whatever makes the sockets directory still serves.
        let directory = (options.path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        }
        let shared = options.admission?.bindsAny(of: options.acceptedRoles) == true
        let listener = try UnixSocket.listen(path: options.path, mode: shared ? options.mode | 0o060 : options.mode)
        lock.lock(); self.listener = listener; lock.unlock()
        log.info("listening", ["roles": options.acceptedRoles.map(\.description).sorted().joined(separator: ",")])
        Thread.detachNewThread { [self] in acceptLoop(listener) }
    }

    /// Closes the listener and every connection, and removes the socket file.
    public func stop() {
        lock.lock()
        stopped = true
        let listener = self.listener
        let open = Array(connections.values)
        lock.unlock()
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
                lock.lock(); let done = stopped; lock.unlock()
                if !done { log.error("accept failed, listener closed", ["error": "\(error)"]) }
                return
            }
            let connection = MessageConnection(socket: socket, maxBodyLength: options.maxBodyLength)
            lock.lock()
            let full = connections.count >= options.maxConnections
            if !full { connections[ObjectIdentifier(connection)] = connection }
            lock.unlock()
            if full {
                log.warning("refusing peer: too many connections", ["limit": options.maxConnections])
                connection.fail(.peerRejected, "too many connections")
                continue
            }
            Thread.detachNewThread { [self] in serve(connection) }
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
            lock.lock(); connections[ObjectIdentifier(connection)] = nil; lock.unlock()
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
            try connection.handshake(local: options.localHello, accepting: options.acceptedRoles, asServer: true)
            if let admission = options.admission, let role = connection.peerHello?.role,
               !admission.admits(credentials, as: role) {
                refuse(credentials, roles: [role], admission: admission, connection: connection)
                return
            }
            log.info("peer connected", ["peer": connection.peerLabel, "name": connection.peerHello?.name ?? ""])
            try handler(connection)
            log.info("peer disconnected", ["peer": connection.peerLabel])
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
