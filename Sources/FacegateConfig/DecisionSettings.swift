/// `[decision]`: when a face is good enough to open a door.
public struct DecisionSettings: Equatable, Sendable {
    /// Largest Euclidean distance to a member's descriptor that counts as a match
    /// (dlib's customary 0.6 is too lenient for a door).
    public var matchThreshold: Double
    /// The match must be at least this much closer than the best other member; otherwise ambiguous.
    public var matchMargin: Double
    /// Matching frames of the same member needed in one lock session before unlocking.
    public var confirmFrames: Int
    /// Seconds: a result for a frame captured longer ago than this unlocks nothing.
    public var maxDecisionAge: Double
    /// Seconds a detecting_txn and its snapshot are kept.
    public var txnTTL: Double
    /// Most detecting_txns kept at once (oldest dropped first).
    public var txnCapacity: Int

    public init(matchThreshold: Double = 0.5, matchMargin: Double = 0.05, confirmFrames: Int = 1,
                maxDecisionAge: Double = 5, txnTTL: Double = 30, txnCapacity: Int = 1024) {
        self.matchThreshold = matchThreshold
        self.matchMargin = matchMargin
        self.confirmFrames = confirmFrames
        self.maxDecisionAge = maxDecisionAge
        self.txnTTL = txnTTL
        self.txnCapacity = txnCapacity
    }

    init(_ reader: TableReader) {
        let defaults = DecisionSettings()
        // Descriptors are (nearly) unit vectors: no two are further apart than 2.
        matchThreshold = reader.number("match_threshold", default: defaults.matchThreshold, in: 0...2, exclusiveLower: true)
        matchMargin = reader.number("match_margin", default: defaults.matchMargin, in: 0...2)
        if matchMargin >= matchThreshold {
            reader.problem("match_margin", "must be smaller than match_threshold (\(TableReader.format(matchThreshold)))")
        }
        confirmFrames = reader.int("confirm_frames", default: defaults.confirmFrames, in: 1...100)
        maxDecisionAge = reader.number("max_decision_age", default: defaults.maxDecisionAge, in: 0...3600, exclusiveLower: true)
        txnTTL = reader.number("txn_ttl", default: max(defaults.txnTTL, maxDecisionAge), in: 0...86400, exclusiveLower: true)
        if txnTTL < maxDecisionAge {
            // A txn that expires before its result could still be fresh would turn "stale"
            // decisions into "unknown txn" ones: same outcome, misleading audit.
            reader.problem("txn_ttl", "must be at least max_decision_age (\(TableReader.format(maxDecisionAge)))")
        }
        txnCapacity = reader.int("txn_capacity", default: defaults.txnCapacity, in: 1...1_000_000)
        reader.finish()
    }
}
