import Foundation

/// CLOCK_MONOTONIC in nanoseconds: the clock every process on the host shares, so a capture
/// time stamped by facegate-capture means the same instant to facegate-broker.
public enum MonotonicClock {
    public static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Wall-clock time in nanoseconds since the Unix epoch, for logs and audit rows only.
public enum WallClock {
    public static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
