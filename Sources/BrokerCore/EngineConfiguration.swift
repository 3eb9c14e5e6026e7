import Vocabulary
/// What the decision engine needs from the configuration file, already parsed.
public struct EngineConfiguration: Hashable, Sendable {
    public struct Lock: Hashable, Sendable {
        public var id: LockID
        /// A session whose `occupancy:false` never came ends this long after its last `true`.
        public var occupancyMax: TimeSpan
        /// A lock unlocked less than this ago is not unlocked again, whatever session asks
        /// (a keypad session lasts about 10 s: a genuine second unlock comes later than that).
        public var minUnlockInterval: TimeSpan
        /// More activations than this in a window suspend the lock's sessions (a flood).
        public var triggerLimit: TriggerLimit?
        /// How many frames must confirm a member, and which liveness checks they must pass.
        public var policy: LockPolicy
        public init(id: LockID, occupancyMax: TimeSpan, minUnlockInterval: TimeSpan = .zero,
                    triggerLimit: TriggerLimit? = nil, policy: LockPolicy = LockPolicy()) {
            self.id = id; self.occupancyMax = occupancyMax
            self.minUnlockInterval = minUnlockInterval; self.triggerLimit = triggerLimit
            self.policy = policy
        }
    }

    /// A keypad cannot be touched a thousand times a second: more than `burst` activations
    /// within `window` are a flood (a spoofing client, a broken device). The lock's session is
    /// closed and no new one opens until `quiet` has passed without any activation.
    public struct TriggerLimit: Hashable, Sendable {
        public var burst: Int
        public var window: TimeSpan
        public var quiet: TimeSpan
        public init(burst: Int, window: TimeSpan, quiet: TimeSpan) { self.burst = burst; self.window = window; self.quiet = quiet }
    }

    public struct Motion: Hashable, Sendable {
        /// Locks a matched member may open while this camera's motion trigger is on (still
        /// only those the member holds a grant for). Must be among the camera's locks.
        public var locks: [LockID]
        /// A motion session whose "off" never came ends this long after its last "on".
        public var motionMax: TimeSpan
        public init(locks: [LockID], motionMax: TimeSpan) { self.locks = locks; self.motionMax = motionMax }
    }

    public struct Camera: Hashable, Sendable {
        public var id: CameraID
        /// The locks at this camera's door: only their sessions enter this camera's snapshots.
        public var locks: [LockID]
        /// nil: this camera has no motion trigger.
        public var motion: Motion?
        /// Optional per-lock zones: a face counts for a zoned lock only if its box centre lies
        /// inside the zone. A lock without a zone accepts a face anywhere in the image.
        public var zones: [LockID: NormalizedRect]
        /// A frame whose thumbnail cells all lie within this many grey levels of the last judged
        /// frame of the same sessions is not recognized (`FrameChangeGate`); 0: every frame is.
        public var changeSkipThreshold: Int
        public init(id: CameraID, locks: [LockID], motion: Motion? = nil, zones: [LockID: NormalizedRect] = [:],
                    changeSkipThreshold: Int = 0) {
            self.id = id; self.locks = locks; self.motion = motion; self.zones = zones
            self.changeSkipThreshold = changeSkipThreshold
        }
    }

    public struct Matching: Hashable, Sendable {
        /// Largest Euclidean distance that counts as a match (dlib's customary 0.6 is loose
        /// for a door).
        public var threshold: Double
        /// The match must be at least this much closer than the nearest other member.
        public var margin: Double
        public init(threshold: Double = 0.5, margin: Double = 0.05) {
            self.threshold = threshold; self.margin = margin
        }
    }

    public var locks: [Lock]
    public var cameras: [Camera]
    public var matching: Matching
    /// A result for a frame captured longer ago than this never unlocks.
    public var maxDecisionAge: TimeSpan
    /// Ended sessions are kept `maxDecisionAge + historyMargin` so that any frame still young
    /// enough to be decided finds the sessions of its snapshot, with their unlock records.
    public var historyMargin: TimeSpan
    /// Sessions kept per lock or camera at most, whatever their age (a flapping sensor).
    public var sessionHistoryLimit: Int
    /// Frames awaiting a result at most; the oldest is evicted beyond this.
    public var txnCapacity: Int
    /// A txn with no result after this long is dropped. Defaults to
    /// `maxDecisionAge + historyMargin`: a later result would be stale anyway.
    public var txnTTL: TimeSpan
    /// Memory for the face tracks that confirmation and liveness are judged on.
    public var trackLimits: FaceTrackStore.Limits

    public init(locks: [Lock], cameras: [Camera], matching: Matching = Matching(),
                maxDecisionAge: TimeSpan, historyMargin: TimeSpan = .seconds(5),
                sessionHistoryLimit: Int = 256, txnCapacity: Int = 1024, txnTTL: TimeSpan? = nil,
                trackLimits: FaceTrackStore.Limits = FaceTrackStore.Limits()) {
        self.locks = locks
        self.cameras = cameras
        self.matching = matching
        self.maxDecisionAge = maxDecisionAge
        self.historyMargin = historyMargin
        self.sessionHistoryLimit = sessionHistoryLimit
        self.txnCapacity = txnCapacity
        self.txnTTL = txnTTL ?? maxDecisionAge + historyMargin
        self.trackLimits = trackLimits
    }

    /// How long ended sessions are kept.
    public var retention: TimeSpan { maxDecisionAge + historyMargin }

    /// Every problem, each naming what is wrong; empty when the configuration is usable.
    public func problems() -> [String] {
        var problems: [String] = []
        var lockIDs = Set<LockID>()
        for lock in locks {
            if lock.id.rawValue.isEmpty { problems.append("a lock has an empty id") }
            if !lockIDs.insert(lock.id).inserted { problems.append("lock \(lock.id) is configured twice") }
            if lock.occupancyMax == .zero { problems.append("lock \(lock.id): occupancy_max must be positive") }
            if let limit = lock.triggerLimit {
                if limit.burst < 1 { problems.append("lock \(lock.id): trigger_burst must be at least 1") }
                if limit.window == .zero { problems.append("lock \(lock.id): trigger_window must be positive") }
                if limit.quiet == .zero { problems.append("lock \(lock.id): trigger_quiet must be positive") }
            }
            problems += lock.policy.problems().map { "lock \(lock.id): \($0)" }
            if !lock.policy.isSingleFrame && lock.policy.confirmWindow > maxDecisionAge {
                // Frames older than that decide nothing: a longer window would wait for evidence
                // that can no longer count, and hold tracks past their sessions' retention.
                problems.append("lock \(lock.id): confirm_window \(lock.policy.confirmWindow) is longer than max_decision_age \(maxDecisionAge)")
            }
        }
        var cameraIDs = Set<CameraID>()
        for camera in cameras {
            let c = "camera \(camera.id)"
            if camera.id.rawValue.isEmpty { problems.append("a camera has an empty id") }
            if !cameraIDs.insert(camera.id).inserted { problems.append("\(c) is configured twice") }
            for lock in camera.locks where !lockIDs.contains(lock) {
                problems.append("\(c) lists lock \(lock), which is not configured")
            }
            if Set(camera.locks).count != camera.locks.count { problems.append("\(c) lists a lock twice") }
            if let motion = camera.motion {
                if motion.motionMax == .zero { problems.append("\(c): motion_max must be positive") }
                for lock in motion.locks where !camera.locks.contains(lock) {
                    problems.append("\(c): motion lock \(lock) is not one of the camera's locks")
                }
            }
            for lock in camera.zones.keys.sorted() where !camera.locks.contains(lock) {
                problems.append("\(c): zone for lock \(lock), which is not one of the camera's locks")
            }
        }
        let m = matching
        if !(m.threshold.isFinite && m.threshold > 0) { problems.append("match_threshold must be a positive number") }
        if !(m.margin.isFinite && m.margin >= 0) { problems.append("match_margin must be zero or a positive number") }
        if maxDecisionAge == .zero { problems.append("max_decision_age must be positive") }
        if sessionHistoryLimit < 1 { problems.append("session history limit must be at least 1") }
        if txnCapacity < 1 { problems.append("txn capacity must be at least 1") }
        if txnTTL < maxDecisionAge { problems.append("txn TTL \(txnTTL) is shorter than max_decision_age \(maxDecisionAge)") }
        problems += trackLimits.problems()
        return problems
    }
}

public struct EngineConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid decision configuration: " + problems.joined(separator: "; ") }
}
