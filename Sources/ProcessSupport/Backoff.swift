/// Exponential backoff with full jitter for "reconnect forever" loops.
///
/// Jitter keeps several processes that lost the same peer from reconnecting in lockstep.
public struct Backoff: Sendable {
    public let initial: Double
    public let maximum: Double
    public private(set) var attempt: Int = 0

    public init(initial: Double = 0.1, maximum: Double = 5.0) {
        precondition(initial > 0 && maximum >= initial)
        self.initial = initial
        self.maximum = maximum
    }

    /// Seconds to wait before the next attempt.
    public mutating func next() -> Double {
        let ceiling = min(maximum, initial * Double(1 << min(attempt, 30)))
        attempt += 1
        return Double.random(in: (ceiling / 2)...ceiling)
    }

    /// Call after a success so the next failure starts small again.
    public mutating func reset() { attempt = 0 }
}
