/// One session of a trigger: where an unlock is booked.
public struct TriggerRef: Hashable, Sendable, Codable {
    public var source: TriggerSource
    public var session: SessionID
    public init(source: TriggerSource, session: SessionID) { self.source = source; self.session = session }
}

/// An unlock the engine decided and the broker must now deliver: the lock, the sessions on
/// whose behalf it opens, and the instant after which the command must not reach the lock.
///
/// A decision is not an unlock until the command is handed over. Until the broker reports the
/// outcome (`DecisionEngine.unlockDelivered` / `unlockFailed`) the sessions hold the lock as
/// *in flight*: no other frame of theirs can decide it again (a TOGGLE must never go twice),
/// and only a reported failure lets a younger frame of the same session try once more.
public struct UnlockClaim: Hashable, Sendable {
    public var lock: LockID
    public var sessions: [TriggerRef]
    /// The frame's capture time plus `max_decision_age`: a command later than this is stale.
    public var deadline: MonotonicInstant
    /// When the engine decided it: the lock's last unlock for `min_unlock_interval`.
    public var decidedAt: MonotonicInstant
    /// The lock's last unlock before this one, restored if this one fails.
    var previousUnlock: MonotonicInstant?

    public init(lock: LockID, sessions: [TriggerRef], deadline: MonotonicInstant, decidedAt: MonotonicInstant) {
        self.lock = lock
        self.sessions = sessions
        self.deadline = deadline
        self.decidedAt = decidedAt
    }
}
