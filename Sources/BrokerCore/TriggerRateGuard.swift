/// Counts a lock's activations and says when they come faster than a keypad can produce them.
///
/// More than `burst` activations within `window` start a suspension; every activation while
/// suspended pushes its end to `quiet` after it, so a flood keeps the lock suspended until the
/// flood stops. Retained messages never get here (they never activate anything).
struct TriggerRateGuard: Sendable {
    enum Verdict: Equatable {
        case allowed
        /// This activation started a suspension.
        case started
        /// Already suspended.
        case suspended
    }

    let limit: EngineConfiguration.TriggerLimit
    /// Activations inside the current window, oldest first (at most `burst` kept).
    private var recent: [MonotonicInstant] = []
    private(set) var suspendedUntil: MonotonicInstant?

    init(limit: EngineConfiguration.TriggerLimit) { self.limit = limit }

    mutating func activation(at t: MonotonicInstant) -> Verdict {
        if let until = suspendedUntil {
            if t < until {
                suspendedUntil = t + limit.quiet
                return .suspended
            }
            suspendedUntil = nil
        }
        recent.removeAll { t.since($0) >= limit.window }
        recent.append(t)
        guard recent.count > limit.burst else { return .allowed }
        recent.removeAll()
        suspendedUntil = t + limit.quiet
        return .started
    }

    func isSuspended(at t: MonotonicInstant) -> Bool { suspendedUntil.map { t < $0 } ?? false }

    /// Ends a suspension whose quiet period has passed by `t`; true when it did.
    mutating func release(at t: MonotonicInstant) -> Bool {
        guard let until = suspendedUntil, until <= t else { return false }
        suspendedUntil = nil
        return true
    }
}
