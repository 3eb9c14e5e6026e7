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
        reader.finish()
    }
}
