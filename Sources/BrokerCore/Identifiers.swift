/// A lock as named in the configuration (e.g. `DC006`).
public struct LockID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: LockID, rhs: LockID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A camera as named in the configuration (e.g. `cam-a`).
public struct CameraID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: CameraID, rhs: CameraID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A member's row id in the gallery database.
public struct MemberID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// The part of every id that differs between broker runs.
///
/// Ids are `prefix << 32 | counter`: the counter restarts with every run, so the prefix is what
/// keeps a result or audit row from one run from being confused with another run's. Choose it
/// from the system's random source at start (`BootPrefix(rawValue: .random(in: 1 ... .max))`):
/// a wall-clock value would repeat when a crash-looping broker restarts twice within its
/// resolution, or when a device without an RTC boots with the clock reset. Two runs collide
/// with probability 2^-32.
public struct BootPrefix: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { hex32(rawValue) }
}

/// An id a broker run hands out (`BootPrefix << 32 | counter`), printed and stored as 16 hex
/// digits, boot prefix first (`5f3a91c200000017`). JSON carries the hex text: a 64-bit integer
/// does not survive JavaScript-style readers.
public protocol RunScopedID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible
    where RawValue == UInt64 {
    init(rawValue: UInt64)
    /// How decoding errors name the id ("txn", "session id").
    static var kindName: String { get }
}

extension RunScopedID {
    public init(_ rawValue: UInt64) { self.init(rawValue: rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var bootPrefix: BootPrefix { BootPrefix(UInt32(truncatingIfNeeded: rawValue >> 32)) }
    public var description: String { hex64(rawValue) }
    public init?(hex: String) {
        guard let v = parseHex64(hex) else { return nil }
        self.init(rawValue: v)
    }
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = parseHex64(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\(Self.kindName) is not 1-16 hex digits: \(text)"))
        }
        self.init(rawValue: v)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A lock occupancy session or a camera motion session.
public struct SessionID: RunScopedID {
    public static let kindName = "session id"
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// The id the broker gives a frame it sends for recognition; the result must carry it back.
public struct DetectingTxn: RunScopedID {
    public static let kindName = "txn"
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// Hands out `prefix << 32 | counter` ids, counter from 1.
///
/// After 2^32 ids in one run the counter starts again at 1. By then every earlier id of this
/// run is long gone from every table that could confuse them (txns live seconds, sessions
/// minutes), so reuse cannot alias a live entry.
struct IDAllocator: Sendable {
    let prefix: BootPrefix
    private var counter: UInt32 = 0

    init(prefix: BootPrefix) { self.prefix = prefix }

    mutating func next() -> UInt64 {
        counter = counter == .max ? 1 : counter + 1
        return UInt64(prefix.rawValue) << 32 | UInt64(counter)
    }

    mutating func setCounterForTesting(_ value: UInt32) { counter = value }
}

private let hexDigits = Array("0123456789abcdef")

func hex64(_ v: UInt64) -> String {
    var s = ""
    s.reserveCapacity(16)
    for shift in stride(from: 60, through: 0, by: -4) { s.append(hexDigits[Int((v >> UInt64(shift)) & 0xf)]) }
    return s
}

func hex32(_ v: UInt32) -> String { String(hex64(UInt64(v)).suffix(8)) }

func parseHex64(_ text: String) -> UInt64? {
    guard (1...16).contains(text.count), text.allSatisfy(\.isHexDigit) else { return nil }
    return UInt64(text, radix: 16)
}
