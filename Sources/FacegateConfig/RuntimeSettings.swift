/// `[runtime]`: where the processes meet and what they may send each other.
public struct RuntimeSettings: Equatable, Sendable {
    /// Directory of the Unix sockets (`broker-capture.sock`, ...).
    public var socketsDirectory: String
    /// The SQLite file (members, descriptors, grants, audit).
    public var database: String
    /// Largest wire-protocol frame body accepted; larger closes the connection.
    public var maxFrameBytes: Int
    /// Whether processes serve their tap socket.
    public var tap: Bool
    /// Seconds a socket message may take from its first byte to its last.
    public var messageDeadline: Double = 5
    /// Seconds a new socket peer has to send a valid hello.
    public var handshakeTimeout: Double = 3
    /// Connections per socket allowed to wait for their hello at once; the oldest is closed
    /// when another comes.
    public var maxUnidentifiedPeers: Int = 16
    /// Frames whose audit rows may wait for the disk at once; a recognizer connection whose
    /// next frame finds the queue full waits (backpressure), nothing is dropped.
    public var auditQueueCapacity: Int = 64
    /// Seconds the broker spends at SIGTERM writing the audit rows still queued (and letting
    /// their commands go out) before it exits anyway, logging what was left.
    public var auditDrainTimeout: Double = 5

    public static let defaultMaxFrameBytes = 64 << 20

    public init(socketsDirectory: String = "/run/facegate", database: String = "/var/lib/facegate/facegate.sqlite",
                maxFrameBytes: Int = RuntimeSettings.defaultMaxFrameBytes, tap: Bool = true) {
        self.socketsDirectory = socketsDirectory
        self.database = database
        self.maxFrameBytes = maxFrameBytes
        self.tap = tap
    }

    init(_ reader: TableReader) {
        let defaults = RuntimeSettings()
        socketsDirectory = reader.nonEmptyString("sockets_dir") ?? defaults.socketsDirectory
        database = reader.nonEmptyString("database") ?? defaults.database
        // Lower bound: a hello must fit. Upper bound: one frame must never be able to take
        // the machine's memory (an 8K RGB frame is about 100 MiB).
        maxFrameBytes = reader.int("max_frame_bytes", default: defaults.maxFrameBytes, in: 4096...(1 << 30))
        tap = reader.bool("tap", default: defaults.tap)
        messageDeadline = reader.number("message_deadline", default: defaults.messageDeadline, in: 0...300, exclusiveLower: true)
        handshakeTimeout = reader.number("handshake_timeout", default: defaults.handshakeTimeout, in: 0...60, exclusiveLower: true)
        maxUnidentifiedPeers = reader.int("max_unidentified_peers", default: defaults.maxUnidentifiedPeers, in: 1...1024)
        auditQueueCapacity = reader.int("audit_queue_capacity", default: defaults.auditQueueCapacity, in: 1...100_000)
        auditDrainTimeout = reader.number("audit_drain_timeout", default: defaults.auditDrainTimeout, in: 0...300,
                                          exclusiveLower: true)
        reader.finish()
    }
}
