/// The object events (Frigate's, keyed by event id) that keep one camera's motion trigger on.
///
/// Events overlap: two people walk in, one leaves. Motion stays on until the last open event
/// ends, and every counting message refreshes it (the timeline's deadline moves with each
/// activation). An event that stops being updated is stale after `staleAfter` and no longer
/// counts, so a lost `end` cannot hold the trigger open (fail-secure).
public struct ObjectEventSet: Sendable {
    public enum Effect: Hashable, Sendable {
        /// Open the motion session, or refresh it.
        case activate
        /// The last counting event ended (or went stale): close the motion session.
        case deactivate
        case none
    }

    public let staleAfter: TimeSpan
    private var lastSeen: [String: MonotonicInstant] = [:]

    public init(staleAfter: TimeSpan) { self.staleAfter = staleAfter }

    /// Events that count right now.
    public var open: [String] { lastSeen.keys.sorted() }

    /// One message about event `id` at `at`: `counts` when it is new/updated and passes the
    /// camera's label and zone filters; false when it ended or left them.
    public mutating func update(id: String, counts: Bool, at: MonotonicInstant) -> Effect {
        let expired = expireStale(at)
        if counts {
            lastSeen[id] = at
            return .activate
        }
        let removed = lastSeen.removeValue(forKey: id) != nil
        return (removed || expired) && lastSeen.isEmpty ? .deactivate : .none
    }

    /// Drops stale events; `.deactivate` when that left none open.
    public mutating func expire(now: MonotonicInstant) -> Effect {
        expireStale(now) && lastSeen.isEmpty ? .deactivate : .none
    }

    /// Forget every event (the bus was lost: their ends may have been missed).
    public mutating func reset() { lastSeen = [:] }

    private mutating func expireStale(_ now: MonotonicInstant) -> Bool {
        let before = lastSeen.count
        lastSeen = lastSeen.filter { $0.value + staleAfter > now }
        return lastSeen.count < before
    }
}
