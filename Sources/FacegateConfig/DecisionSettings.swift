import Vocabulary

/// `[decision]`: when a face is good enough to open a door.
public struct DecisionSettings: Equatable, Sendable {
    /// Largest Euclidean distance to a member's descriptor that counts as a match
    /// (dlib's customary 0.6 is too lenient for a door).
    public var matchThreshold: Double
    /// The match must be at least this much closer than the best other member; otherwise ambiguous.
    public var matchMargin: Double
    /// Default for every lock: matching frames of the same member, captured at distinct
    /// instants within `confirmWindow` seconds of one session, needed before unlocking.
    public var confirmFrames: Int
    /// Default for every lock, seconds: the span the confirming frames (and the frames liveness
    /// is judged on) must lie in, and how long a face may wait for evidence before it is denied.
    public var confirmWindow: Double
    /// Default for every lock: `off`, `planar`, `blink` or `planar+blink` (see `LivenessCheck`).
    public var liveness: LivenessCheck
    /// Seconds: a result for a frame captured longer ago than this unlocks nothing.
    public var maxDecisionAge: Double
    /// Seconds a detecting_txn and its snapshot are kept.
    public var txnTTL: Double
    /// Most detecting_txns kept at once (oldest dropped first).
    public var txnCapacity: Int

    public init(matchThreshold: Double = 0.5, matchMargin: Double = 0.05, confirmFrames: Int = 1,
                confirmWindow: Double = 2, liveness: LivenessCheck = .siteDefault,
                maxDecisionAge: Double = 5, txnTTL: Double = 30, txnCapacity: Int = 1024) {
        self.matchThreshold = matchThreshold
        self.matchMargin = matchMargin
        self.confirmFrames = confirmFrames
        self.confirmWindow = confirmWindow
        self.liveness = liveness
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
        confirmWindow = reader.number("confirm_window", default: defaults.confirmWindow, in: 0...60, exclusiveLower: true)
        liveness = LivenessCheck(reader, "liveness") ?? defaults.liveness
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

extension LivenessCheck {
    /// What a lock does when neither it nor `[decision]` says: see deploy/README.md,
    /// "Liveness" (planar costs about 0.6 s at the door, more than a default may).
    public static let siteDefault: LivenessCheck = .off

    init?(_ reader: TableReader, _ key: String) {
        guard reader.has(key) else { return nil }
        let text = reader.choice(key, LivenessCheck.allCases.map(\.rawValue), default: LivenessCheck.siteDefault.rawValue)
        self = LivenessCheck(rawValue: text) ?? .siteDefault
    }
}

/// `[liveness]`: the figures the checks judge by; defaults and how they were measured are
/// `LivenessThresholds`'.
extension LivenessThresholds {
    init(_ reader: TableReader) {
        let d = LivenessThresholds()
        let parallax = reader.number("parallax", default: d.parallax, in: 0...1, exclusiveLower: true)
        let motion = reader.number("motion", default: d.motion, in: 0...1, exclusiveLower: true)
        let eyeClosed = reader.number("eye_closed", default: d.eyeClosed, in: 0...1, exclusiveLower: true)
        let eyeOpen = reader.number("eye_open", default: d.eyeOpen, in: 0...1, exclusiveLower: true)
        if eyeOpen <= eyeClosed {
            reader.problem("eye_open", "must be above eye_closed (\(TableReader.format(eyeClosed))), or jitter around one value would count as a blink")
        }
        let planarFrames = reader.int("planar_frames", default: d.planarFrames, in: 3...32)
        reader.finish()
        self.init(parallax: parallax, motion: motion, eyeClosed: eyeClosed, eyeOpen: eyeOpen, planarFrames: planarFrames)
    }
}
