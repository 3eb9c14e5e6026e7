/// Failed logins counted per key (a user name, a client address) in a sliding window: once a
/// key has `limit` failures within `window` seconds, further attempts are refused without
/// checking the password until the oldest failure leaves the window.
///
/// Pure: the caller passes the instant (monotonic seconds), so tests drive time.
public struct LoginLimiter: Sendable {
    public let limit: Int
    public let window: Double
    private var failures: [String: [Double]] = [:]

    public init(limit: Int, window: Double) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Seconds until `keys` may try again; nil when none of them is over the limit.
    public mutating func retryAfter(_ keys: [String], now: Double) -> Double? {
        var wait: Double?
        for key in keys {
            prune(key, now: now)
            guard let times = failures[key], times.count >= limit else { continue }
            let until = times[times.count - limit] + window - now
            wait = max(wait ?? 0, until)
        }
        return wait
    }

    public mutating func recordFailure(_ keys: [String], now: Double) {
        for key in keys {
            prune(key, now: now)
            failures[key, default: []].append(now)
        }
    }

    /// A correct password clears the user's failures (not the address's: one good account
    /// must not reset an address guessing at others).
    public mutating func recordSuccess(_ key: String) { failures[key] = nil }

    private mutating func prune(_ key: String, now: Double) {
        guard var times = failures[key] else { return }
        times.removeAll { $0 + window <= now }
        failures[key] = times.isEmpty ? nil : times
    }
}
