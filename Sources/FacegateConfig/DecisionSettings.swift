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
    /// Default for every lock: `off`, `planar`, `blink` or `planar+blink` (see `LivenessMode`).
    public var liveness: LivenessMode
    /// Seconds: a result for a frame captured longer ago than this unlocks nothing.
    public var maxDecisionAge: Double
    /// Seconds a detecting_txn and its snapshot are kept.
    public var txnTTL: Double
    /// Most detecting_txns kept at once (oldest dropped first).
    public var txnCapacity: Int

    public init(matchThreshold: Double = 0.5, matchMargin: Double = 0.05, confirmFrames: Int = 1,
                confirmWindow: Double = 2, liveness: LivenessMode = .siteDefault,
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
        liveness = LivenessMode(reader, "liveness") ?? defaults.liveness
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

/// Which liveness checks a lock asks of a member's face track before it opens (the decision
/// core's `LivenessCheck`, as the configuration spells it).
public enum LivenessMode: String, Equatable, Sendable, CaseIterable {
    case off
    /// The landmarks of the track's frames must not be explained by one plane under a
    /// homography: a photo or a screen, moved or tilted, is; a head that turns is not.
    case planar
    /// The eyes must close and open again within the window.
    case blink
    case planarAndBlink = "planar+blink"

    /// What a lock does when neither it nor `[decision]` says.
    public static let siteDefault: LivenessMode = .off

    init?(_ reader: TableReader, _ key: String) {
        guard reader.has(key) else { return nil }
        let text = reader.choice(key, LivenessMode.allCases.map(\.rawValue), default: LivenessMode.siteDefault.rawValue)
        self = LivenessMode(rawValue: text) ?? .siteDefault
    }
}

/// `[liveness]`: the figures the liveness checks judge by (see deploy/README.md for how they
/// were measured). Defaults suit a door camera at 720p with faces 100-300 px wide.
public struct LivenessSettings: Equatable, Sendable {
    /// Planar residual, in eye distances, at or above which a track is not one flat picture.
    public var parallax: Double
    /// Non-similar motion between two frames, in eye distances, below which they are too still
    /// to judge.
    public var motion: Double
    /// Eye aspect ratios: below `eyeClosed` the eyes are shut, at or above `eyeOpen` open.
    public var eyeClosed: Double
    public var eyeOpen: Double
    /// Frames compared pairwise for `planar` at most.
    public var planarFrames: Int

    public init(parallax: Double = 0.035, motion: Double = 0.04, eyeClosed: Double = 0.2, eyeOpen: Double = 0.25,
                planarFrames: Int = 8) {
        self.parallax = parallax; self.motion = motion; self.eyeClosed = eyeClosed; self.eyeOpen = eyeOpen
        self.planarFrames = planarFrames
    }

    init(_ reader: TableReader) {
        let d = LivenessSettings()
        parallax = reader.number("parallax", default: d.parallax, in: 0...1, exclusiveLower: true)
        motion = reader.number("motion", default: d.motion, in: 0...1, exclusiveLower: true)
        eyeClosed = reader.number("eye_closed", default: d.eyeClosed, in: 0...1, exclusiveLower: true)
        eyeOpen = reader.number("eye_open", default: d.eyeOpen, in: 0...1, exclusiveLower: true)
        if eyeOpen <= eyeClosed {
            reader.problem("eye_open", "must be above eye_closed (\(TableReader.format(eyeClosed))), or jitter around one value would count as a blink")
        }
        planarFrames = reader.int("planar_frames", default: d.planarFrames, in: 3...32)
        reader.finish()
    }
}
