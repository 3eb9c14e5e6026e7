/// One count of `EngineCounters.decisionsByLock`: a decision of `kind` that concerned `lock`.
public struct DecisionTally: Hashable, Sendable {
    public var kind: DecisionKind
    /// Empty for a decision that concerned no lock (an unknown txn, a frame with no snapshot).
    public var lock: String

    public init(kind: DecisionKind, lock: String) {
        self.kind = kind
        self.lock = lock
    }

    /// The locks a decision was about: those it judged, else those triggered at capture (a
    /// face denied before any lock was judged still concerned the touched doors); one tally
    /// each, or one without a lock.
    public static func tallies(of decision: Decision) -> [DecisionTally] {
        var locks = decision.verdicts.map(\.lock.rawValue)
        if locks.isEmpty, let snapshot = decision.snapshot {
            locks = snapshot.lockSessions.map(\.lock.rawValue) + (snapshot.motion?.locks.map(\.rawValue) ?? [])
        }
        let unique = Array(Set(locks)).sorted()
        return unique.isEmpty ? [DecisionTally(kind: decision.kind, lock: "")] : unique.map { DecisionTally(kind: decision.kind, lock: $0) }
    }
}
