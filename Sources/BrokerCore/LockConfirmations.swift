/// Unlock commands waiting for the lock's own word that it opened.
///
/// zigbee2mqtt publishes a lock's new state on its topic after a command (`"state":"UNLOCK"`,
/// `"lock_state":"unlocked"`, per model). A published command is confirmed when such a report
/// arrives within the lock's `confirm_timeout`, and unconfirmed when the window closes without
/// one (a dead lock, a lost command). Only reports received after the publish count.
///
/// Pure bookkeeping with instants passed in; `Key` names one delivery (the broker uses the
/// audit row and the lock).
public struct LockConfirmations<Key: Hashable & Sendable>: Sendable {
    private struct Waiting: Sendable {
        var key: Key
        var lock: LockID
        var since: MonotonicInstant
        var deadline: MonotonicInstant
    }

    private var waiting: [Waiting] = []

    public init() {}

    public var count: Int { waiting.count }

    /// The command for `lock` was published at `at`; a report is expected within `timeout`.
    public mutating func expect(_ key: Key, lock: LockID, publishedAt at: MonotonicInstant, timeout: TimeSpan) {
        waiting.append(Waiting(key: key, lock: lock, since: at, deadline: at + timeout))
    }

    /// The lock reported the unlocked state at `at`: every delivery to it published at or
    /// before then and still in its window is confirmed.
    public mutating func unlockedReported(lock: LockID, at: MonotonicInstant) -> [Key] {
        var confirmed: [Key] = []
        waiting.removeAll { w in
            guard w.lock == lock, w.since <= at, at <= w.deadline else { return false }
            confirmed.append(w.key)
            return true
        }
        return confirmed
    }

    /// Deliveries whose window has closed by `now` without a report: unconfirmed.
    public mutating func expire(now: MonotonicInstant) -> [Key] {
        var expired: [Key] = []
        waiting.removeAll { w in
            guard w.deadline < now else { return false }
            expired.append(w.key)
            return true
        }
        return expired
    }
}
