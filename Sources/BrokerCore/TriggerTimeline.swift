/// Why a trigger session ended.
public enum SessionEndCause: String, Hashable, Sendable, Codable {
    /// `occupancy:false` / motion off arrived.
    case deactivated
    /// The off never came: the session ended `max_open` after its last activation.
    case expired
    /// The broker dropped all trigger state (MQTT reconnect): fail-secure.
    case reset
    /// Activations came faster than a keypad can produce them: the lock's sessions are
    /// suspended until the trigger is quiet again.
    case suspended
}

/// One interval `[start, end)` during which a lock was touched or a camera saw motion.
///
/// A repeated activation (`occupancy:true` again) while the session is open does not open a new
/// session: it keeps the id, so a lock that reports `true` every few seconds while held is still
/// one session and is unlocked at most once, and it moves the expiry deadline to
/// `lastRefresh + maxOpen`. Refreshing never changes whether the session was open at an earlier
/// instant, so a snapshot taken earlier stays true.
public struct TriggerSession: Hashable, Sendable {
    public let id: SessionID
    public let start: MonotonicInstant
    public internal(set) var lastRefresh: MonotonicInstant
    /// Set once the session has ended (off, reset, or found expired); never after `deadline`.
    public internal(set) var closedAt: MonotonicInstant?
    public internal(set) var endCause: SessionEndCause?
    public let maxOpen: TimeSpan

    /// Locks unlocked on behalf of this session, or of a session that triggered the same lock
    /// in the same frame (a touch and the camera's motion): either may not unlock it again.
    var unlockedLocks: Set<LockID> = []
    /// Locks whose unlock command is being delivered for this session: not decided again
    /// unless the delivery fails (see `UnlockClaim`).
    var unlocksInFlight: Set<LockID> = []

    init(id: SessionID, start: MonotonicInstant, maxOpen: TimeSpan) {
        self.id = id
        self.start = start
        self.lastRefresh = start
        self.maxOpen = maxOpen
    }

    /// When the session expires unless an off or a refresh comes first.
    public var deadline: MonotonicInstant { lastRefresh + maxOpen }

    /// Exclusive end: the off's receipt time, or the deadline when the off never came.
    public var end: MonotonicInstant { closedAt ?? deadline }

    public func isOpen(at t: MonotonicInstant) -> Bool { start <= t && t < end }

    public var unlocked: [LockID] { unlockedLocks.sorted() }
}

/// What an activation or deactivation did to a timeline (for logs and counters).
public enum TriggerChange: Hashable, Sendable {
    /// A new session; `replacingExpired` is the previous one if it had expired without an off.
    case opened(SessionID, replacingExpired: SessionID?)
    /// Activation while open: same session, deadline moved.
    case refreshed(SessionID)
    case closed(SessionID)
    /// The off came after `max_open` had already ended the session.
    case alreadyExpired(SessionID)
    /// An off with no session open.
    case ignoredNotOpen
    /// A retained activation describes the past: it never opens or refreshes a session.
    case ignoredRetained
    /// The lock or camera is not configured (or the camera has no motion trigger).
    case unknownTrigger
    /// A flood: this activation (the first of the burst: `started`) suspended the lock's
    /// sessions, or came while they were suspended.
    case suspended(closed: SessionID?, started: Bool)
}

/// The sessions of one trigger (a lock's occupancy, or a camera's motion), oldest first.
///
/// Sessions never overlap: at most the last one is open. Instants are expected non-decreasing;
/// the engine clamps them before they get here.
struct TriggerTimeline: Sendable {
    let maxOpen: TimeSpan
    let historyLimit: Int
    private(set) var sessions: [TriggerSession] = []

    init(maxOpen: TimeSpan, historyLimit: Int) {
        self.maxOpen = maxOpen
        self.historyLimit = max(1, historyLimit)
    }

    /// The session open at `t`. Only the latest session that started at or before `t` can be.
    func session(openAt t: MonotonicInstant) -> TriggerSession? {
        for s in sessions.reversed() where s.start <= t {
            return s.isOpen(at: t) ? s : nil
        }
        return nil
    }

    func session(_ id: SessionID) -> TriggerSession? {
        index(of: id).map { sessions[$0] }
    }

    mutating func activate(at t: MonotonicInstant, retained: Bool, ids: inout IDAllocator) -> TriggerChange {
        if retained { return .ignoredRetained }
        var replaced: SessionID?
        if let i = sessions.indices.last, sessions[i].closedAt == nil {
            if t < sessions[i].deadline {
                sessions[i].lastRefresh = t
                return .refreshed(sessions[i].id)
            }
            finishExpired(i)
            replaced = sessions[i].id
        }
        sessions.append(TriggerSession(id: SessionID(ids.next()), start: t, maxOpen: maxOpen))
        return .opened(sessions[sessions.count - 1].id, replacingExpired: replaced)
    }

    mutating func deactivate(at t: MonotonicInstant, cause: SessionEndCause) -> TriggerChange {
        guard let i = sessions.indices.last, sessions[i].closedAt == nil else { return .ignoredNotOpen }
        if t < sessions[i].deadline {
            sessions[i].closedAt = t
            sessions[i].endCause = cause
            return .closed(sessions[i].id)
        }
        finishExpired(i)
        return .alreadyExpired(sessions[i].id)
    }

    private mutating func finishExpired(_ i: Int) {
        sessions[i].closedAt = sessions[i].deadline
        sessions[i].endCause = .expired
    }

    /// Drops sessions that ended more than `retention` before `now`, then the oldest beyond
    /// `historyLimit` (a lock flapping faster than retention allows). Forgetting a session can
    /// only deny: a decision that needs a forgotten session refuses to unlock.
    mutating func prune(now: MonotonicInstant, retention: TimeSpan) -> (aged: Int, forced: Int) {
        var aged = 0
        while aged < sessions.count, sessions[aged].end <= now, sessions[aged].end + retention <= now { aged += 1 }
        let forced = max(0, sessions.count - aged - historyLimit)
        if aged + forced > 0 { sessions.removeFirst(aged + forced) }
        return (aged, forced)
    }

    /// Updates one session's decision bookkeeping; nil when the session is no longer kept.
    mutating func update<R>(_ id: SessionID, _ body: (inout TriggerSession) -> R) -> R? {
        guard let i = index(of: id) else { return nil }
        return body(&sessions[i])
    }

    private func index(of id: SessionID) -> Int? {
        sessions.indices.reversed().first { sessions[$0].id == id }
    }
}
