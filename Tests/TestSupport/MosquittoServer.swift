import Foundation

/// A real mosquitto (`/usr/sbin/mosquitto`) on 127.0.0.1 on a free port, configured by a
/// generated file in its own temporary directory (no persistence). It can be stopped, killed
/// and started again on the same port, to test reconnection. Optionally a second listener
/// speaks TLS (on `tlsPort`); the plain one stays, so `publish` and `MosquittoSubscriber` work
/// unchanged.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class MosquittoServer: @unchecked Sendable {
    /// A TLS listener's files (PEM). With `requireCertificate`, clients must present a
    /// certificate signed by `caFile`.
    public struct TLSListener: Sendable {
        public var caFile: String
        public var certFile: String
        public var keyFile: String
        public var requireCertificate: Bool

        public init(caFile: String, certFile: String, keyFile: String, requireCertificate: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.requireCertificate = requireCertificate
        }
    }

    public static let executable = URL(fileURLWithPath: "/usr/sbin/mosquitto")

    public let host = "127.0.0.1"
    public let port: UInt16
    /// The TLS listener's port, when one was asked for.
    public let tlsPort: UInt16?
    public let directory: TemporaryDirectory
    public let configURL: URL
    /// user → password, when the server requires a login.
    public let users: [String: String]
    /// Who `publish` and the other client tools log in as when not told (default: the first
    /// user by name). A scenario pipeline publishes lock state, so it names zigbee2mqtt.
    public var defaultUser: String?
    /// The acl_file, when the server was given one (only with `users`).
    public let aclURL: URL?
    public private(set) var process: ChildProcess?
    private var starts = 0

    /// Writes the configuration and starts the server; returns once it accepts connections.
    /// With `users`, anonymous clients are refused and a password file is generated with
    /// `mosquitto_passwd`. With `acl` (the text of a mosquitto acl_file, e.g. what
    /// `facegate mqtt acl` prints), each user may read and write only what it grants. `port`:
    /// one picked beforehand (a configuration naming it had to be written first).
    public init(users: [String: String] = [:], acl: String? = nil, port: UInt16? = nil, tls: TLSListener? = nil,
                extraConfig: [String] = []) throws {
        precondition(acl == nil || !users.isEmpty, "an ACL without users would leave every client anonymous")
        directory = TemporaryDirectory(prefix: "fgmq")
        let port = port ?? freeLoopbackPort()
        self.port = port
        tlsPort = tls.map { _ in freeLoopbackPort() }
        self.users = users
        configURL = directory.file("mosquitto.conf")
        var lines = [
            "listener \(port) 127.0.0.1",
            "persistence false",
            "log_dest stderr",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "connection_messages true",
        ]
        if users.isEmpty {
            lines.append("allow_anonymous true")
        } else {
            let passwordFile = directory.file("passwords")
            // mosquitto_passwd below fails loudly if the file could not be made.
            _ = FileManager.default.createFile(atPath: passwordFile.path, contents: nil,
                                           attributes: [.posixPermissions: 0o600])
            for (user, password) in users.sorted(by: { $0.key < $1.key }) {
                try MosquittoServer.runTool("/usr/bin/mosquitto_passwd", ["-b", passwordFile.path, user, password])
            }
            // -b writes each password hashed, as an operator's `mosquitto_passwd` would.
            lines += ["allow_anonymous false", "password_file \(passwordFile.path)"]
        }
        if let acl {
            let url = directory.file("acl")
            try acl.write(to: url, atomically: true, encoding: .utf8)
            lines.append("acl_file \(url.path)")
            aclURL = url
        } else {
            aclURL = nil
        }
        // Security settings above are global (per_listener_settings is off): they apply here too.
        if let tls, let tlsPort {
            lines += ["listener \(tlsPort) 127.0.0.1", "cafile \(tls.caFile)", "certfile \(tls.certFile)",
                      "keyfile \(tls.keyFile)", "require_certificate \(tls.requireCertificate)"]
        }
        // Run as root, mosquitto drops to the "mosquitto" user, which cannot read our 0600
        // password file in a 0700 temporary directory.
        if getuid() == 0 { lines.append("user root") }
        lines += extraConfig
        try (lines.joined(separator: "\n") + "\n").write(to: configURL, atomically: true, encoding: .utf8)
        try start()
    }

    deinit { process?.terminate(grace: 5) }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// Output of the current (latest) server process.
    public var log: String { process?.log ?? "" }

    /// Starts the server (again, on the same port) and waits until it accepts connections.
    public func start(timeout: Double = 20) throws {
        precondition(!isRunning, "mosquitto is already running")
        starts += 1
        let child = try ChildProcess(MosquittoServer.executable, ["-c", configURL.path],
                                     logDirectory: directory.url, name: "mosquitto-\(starts)")
        process = child
        let up = waitUntil(timeout: timeout, interval: 0.02) {
            !child.isRunning || (MosquittoServer.acceptsConnections(port: port)
                && tlsPort.map { MosquittoServer.acceptsConnections(port: $0) } ?? true)
        }
        guard up, child.isRunning else {
            child.terminate(grace: 1)
            throw MosquittoServerError.didNotStart(port: port, log: child.log)
        }
    }

    /// SIGTERM: a clean shutdown (clients see the connection closed).
    public func stop() {
        process?.terminate(grace: 10)
    }

    /// SIGKILL: the broker vanishes without a word.
    public func kill() {
        guard let process, process.isRunning else { return }
        process.signal(SIGKILL)
        process.waitForExit(timeout: 10)
    }

    /// Stops (SIGKILL when `kill`) and starts again on the same port.
    public func restart(kill: Bool = false) throws {
        if kill { self.kill() } else { stop() }
        try start()
    }

    /// Arguments that point mosquitto_pub/mosquitto_sub at this server (with credentials).
    public func clientArguments(username: String? = nil, password: String? = nil) -> [String] {
        var arguments = ["-h", host, "-p", String(port)]
        let login = (username ?? defaultUser).map { ($0, password ?? users[$0] ?? "") }
            ?? users.sorted { $0.key < $1.key }.first.map { ($0.key, $0.value) }
        if let (user, secret) = login { arguments += ["-u", user, "-P", secret] }
        return arguments
    }

    /// Publishes one message with `mosquitto_pub` (as `username`, default the first user) and
    /// waits until it was sent. With an ACL, a publish the user may not make is acknowledged
    /// and dropped by mosquitto (MQTT 3.1.1 has no way to say no): this still succeeds.
    public func publish(topic: String, payload: [UInt8], retain: Bool = false, qos: Int = 1,
                        username: String? = nil, clientID: String? = nil) throws {
        let file = directory.file("payload-\(UUID().uuidString)")
        try Data(payload).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = clientArguments(username: username) + ["-t", topic, "-q", String(qos)]
        if let clientID { arguments += ["-i", clientID] }
        arguments += payload.isEmpty ? ["-n"] : ["-f", file.path]
        if retain { arguments.append("-r") }
        try MosquittoServer.runTool("/usr/bin/mosquitto_pub", arguments)
    }

    public func publish(topic: String, text: String, retain: Bool = false, qos: Int = 1,
                        username: String? = nil, clientID: String? = nil) throws {
        try publish(topic: topic, payload: Array(text.utf8), retain: retain, qos: qos, username: username, clientID: clientID)
    }

    /// Publishes with `mosquitto_pub` without any login; throws `toolFailed` when mosquitto
    /// refuses the connection (it does whenever it has users).
    public func publishAnonymously(topic: String, text: String) throws {
        try MosquittoServer.runTool("/usr/bin/mosquitto_pub", ["-h", host, "-p", String(port), "-t", topic, "-q", "1", "-m", text])
    }

    static func acceptsConnections(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// Runs a mosquitto command-line tool to completion; throws with its output if it fails.
    static func runTool(_ path: String, _ arguments: [String], timeout: Double = 30) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let finished = waitUntil(timeout: timeout, interval: 0.01) { !process.isRunning }
        if !finished { process.terminate() }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard finished, process.terminationStatus == 0 else {
            throw MosquittoServerError.toolFailed(command: ([path] + arguments).joined(separator: " "),
                                                  status: process.terminationStatus, output: text)
        }
    }
}

public enum MosquittoServerError: Error, CustomStringConvertible {
    case didNotStart(port: UInt16, log: String)
    case toolFailed(command: String, status: Int32, output: String)
    case subscriberNotReady(log: String)

    public var description: String {
        switch self {
        case let .didNotStart(port, log): "mosquitto did not start on 127.0.0.1:\(port):\n\(log)"
        case let .toolFailed(command, status, output): "\(command) exited with \(status):\n\(output)"
        case let .subscriberNotReady(log): "mosquitto_sub did not subscribe:\n\(log)"
        }
    }
}
