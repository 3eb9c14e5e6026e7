/// An instant on CLOCK_MONOTONIC, in nanoseconds since that clock's origin (boot).
///
/// Every process on the host reads the same clock, so a capture process's frame stamp and the
/// broker's receipt time of an MQTT message are directly comparable. The core never reads a
/// clock itself: the caller passes every instant in, which is what makes it testable.
public struct MonotonicInstant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = MonotonicInstant(nanoseconds: 0)

    /// Test and script helper: an instant `seconds` after the clock's origin.
    public static func seconds(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: TimeSpan.seconds(seconds).nanoseconds)
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Saturates at the end of time rather than trapping: a huge configured duration must not
    /// crash the broker.
    public static func + (lhs: MonotonicInstant, rhs: TimeSpan) -> MonotonicInstant {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    /// Saturates at the clock's origin.
    public static func - (lhs: MonotonicInstant, rhs: TimeSpan) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: lhs.nanoseconds >= rhs.nanoseconds ? lhs.nanoseconds - rhs.nanoseconds : 0)
    }

    /// Time elapsed from `earlier` to `self`; zero when `earlier` is not earlier.
    public func since(_ earlier: MonotonicInstant) -> TimeSpan {
        TimeSpan(nanoseconds: nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0)
    }

    public var description: String { TimeSpan(nanoseconds: nanoseconds).description }

    public init(from decoder: any Decoder) throws {
        nanoseconds = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(nanoseconds)
    }
}

/// A non-negative length of time in nanoseconds (configured durations, ages).
public struct TimeSpan: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Converts a Swift `Duration`; negative durations become zero.
    public init(_ duration: Duration) {
        let (s, atto) = duration.components
        if s < 0 { self.nanoseconds = 0; return }
        let (ns, overflow) = UInt64(s).multipliedReportingOverflow(by: 1_000_000_000)
        let sub = UInt64(max(0, atto) / 1_000_000_000)
        self.nanoseconds = overflow ? .max : ns.addingReportingOverflow(sub).overflow ? .max : ns + sub
    }

    public static let zero = TimeSpan(nanoseconds: 0)

    /// Negative or non-finite inputs become zero; values beyond UInt64 saturate.
    public static func seconds(_ seconds: Double) -> TimeSpan {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        let ns = (seconds * 1e9).rounded()
        return TimeSpan(nanoseconds: ns >= 1.8446744073709552e19 ? .max : UInt64(ns))
    }

    public static func milliseconds(_ ms: UInt64) -> TimeSpan {
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return TimeSpan(nanoseconds: overflow ? .max : ns)
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return TimeSpan(nanoseconds: overflow ? .max : sum)
    }

    /// Seconds with millisecond precision, e.g. `12.345s`: what logs and audit reasons show.
    public var description: String {
        let ms = nanoseconds / 1_000_000
        let frac = ms % 1000
        let fracText = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(ms / 1000).\(fracText)s"
    }

    public init(from decoder: any Decoder) throws {
        nanoseconds = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(nanoseconds)
    }
}
