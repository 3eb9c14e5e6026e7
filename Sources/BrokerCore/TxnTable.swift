import Vocabulary

/// A frame sent for recognition, waiting for its result.
public struct PendingTxn: Hashable, Sendable {
    public var txn: DetectingTxn
    public var snapshot: CaptureSnapshot
    /// Needed to place face boxes in normalized zone coordinates.
    public var imageSize: ImageSize
    public var issuedAt: MonotonicInstant
}

/// Pending txns, bounded in count and in age.
///
/// `issuedAt` never decreases (the engine clamps time), so the insertion order is also the age
/// order: expiry and eviction both take from the front.
struct TxnTable: Sendable {
    let capacity: Int
    let ttl: TimeSpan
    private var entries: [DetectingTxn: PendingTxn] = [:]
    /// Insertion order; may hold txns already taken (skipped lazily, compacted when it grows).
    private var order: [DetectingTxn] = []
    private var head = 0

    init(capacity: Int, ttl: TimeSpan) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
    }

    var count: Int { entries.count }

    func contains(_ txn: DetectingTxn) -> Bool { entries[txn] != nil }

    /// Inserts after expiring old entries; returns how many were expired and evicted to make room.
    mutating func insert(_ entry: PendingTxn) -> (expired: Int, evicted: Int) {
        let expired = expire(now: entry.issuedAt)
        var evicted = 0
        while entries.count >= capacity, let oldest = popFront() {
            entries[oldest] = nil
            evicted += 1
        }
        entries[entry.txn] = entry
        order.append(entry.txn)
        compactIfNeeded()
        return (expired, evicted)
    }

    /// Removes and returns the entry: a txn is answered at most once.
    mutating func take(_ txn: DetectingTxn) -> PendingTxn? {
        entries.removeValue(forKey: txn)
    }

    /// Drops entries issued `ttl` or longer before `now`.
    mutating func expire(now: MonotonicInstant) -> Int {
        var expired = 0
        while head < order.count {
            let txn = order[head]
            guard let entry = entries[txn] else { head += 1; continue }
            guard entry.issuedAt + ttl <= now else { break }
            entries[txn] = nil
            head += 1
            expired += 1
        }
        compactIfNeeded()
        return expired
    }

    var orderCountForTesting: Int { order.count - head }

    private mutating func popFront() -> DetectingTxn? {
        while head < order.count {
            let txn = order[head]
            head += 1
            if entries[txn] != nil { return txn }
        }
        return nil
    }

    private mutating func compactIfNeeded() {
        if head > 0, head >= order.count / 2 {
            order.removeFirst(head)
            head = 0
        }
        // Txns answered out of order leave holes behind the front; keep the queue bounded.
        if order.count > 2 * capacity + 64 {
            order = order.filter { entries[$0] != nil }
        }
    }
}
