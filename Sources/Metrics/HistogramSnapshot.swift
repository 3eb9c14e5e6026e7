/// Observations counted into fixed buckets, as Prometheus's histogram type wants them: how
/// many were at most each upper bound, their sum and their count.
public struct HistogramSnapshot: Sendable, Equatable {
    /// Upper bounds, ascending; `+Inf` is implied (it is `count`).
    public let bounds: [Double]
    /// Observations per bucket, not cumulative: `counts[i]` were in `(bounds[i-1], bounds[i]]`,
    /// the last element those above every bound.
    public private(set) var counts: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    /// Seconds from 5 ms to 30 s: a frame judged at once, one a loaded recognizer held, one
    /// `max_decision_age` would refuse.
    public static let latencySeconds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// `bounds` must be ascending and finite (a programming error otherwise: they are constants).
    public init(bounds: [Double]) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 } && bounds.allSatisfy(\.isFinite),
                     "histogram bounds must be finite and strictly ascending")
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let slot = bounds.firstIndex { value <= $0 } ?? bounds.count
        counts[slot] += 1
        sum += value
        count += 1
    }

    /// Observations at most `bounds[i]`, for each i (what `_bucket{le=...}` says).
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return counts.dropLast().map { running += $0; return running }
    }
}
