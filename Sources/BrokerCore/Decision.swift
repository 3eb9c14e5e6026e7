import Vocabulary

/// The kind of a decision; its raw value is what the audit table stores.
public enum DecisionKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// At least one lock is unlocked.
    case unlock
    /// No member within `match_threshold`.
    case unknownFace = "unknown_face"
    /// Two members too close to call (`match_margin`).
    case ambiguous
    /// The member holds no grant for any lock triggered at capture.
    case noGrant = "no_grant"
    /// Granted, but the face was outside the zone of every granted, zoned lock.
    case outsideZone = "outside_zone"
    /// Every lock the member could open was already unlocked in its session.
    case alreadyUnlocked = "already_unlocked"
    /// The lock's policy wants more evidence (frames, landmarks, motion, a blink) and its
    /// `confirm_window` is still open: a later frame may unlock.
    case awaitingConfirmation = "awaiting_confirmation"
    /// The window passed with fewer than `confirm_frames` frames of the member in the session.
    case notConfirmed = "not_confirmed"
    /// Enough frames, but they failed the lock's liveness check (a photo or a screen, or too
    /// little motion to tell).
    case livenessFailed = "liveness_failed"
    /// The session is no longer tracked (history limit hit by a flapping sensor): fail-secure.
    case sessionForgotten = "session_forgotten"
    /// The lock was unlocked less than its `min_unlock_interval` ago.
    case tooSoon = "too_soon"
    /// Not a face decision: a lock's trigger flood suspended its sessions (one row per burst).
    case triggerSuspended = "trigger_suspended"
    /// Capture older than `max_decision_age` when the result arrived.
    case stale
    /// No pending frame with that txn (never issued, previous run, answered, expired, evicted).
    case unknownTxn = "unknown_txn"
    /// The engine decided to unlock, but no command reached MQTT (not connected, refused, or
    /// no PUBACK before `max_decision_age`). Set by the broker from the delivery outcome.
    case unlockFailed = "unlock_failed"
    /// The result cannot have come from a camera frame (a stored descriptor replayed, a box
    /// outside the frame): rejected whole.
    case implausible
    /// The recognizer answered the txn with an error instead of faces.
    case recognizerError = "recognizer_error"
    /// Nothing was triggered at capture. Frames like that are never sent for recognition, so
    /// this only appears if that guard is broken; it denies all the same.
    case emptySnapshot = "empty_snapshot"
}

extension DecisionKind {
    /// The row kind of a policy's refusal (the audit spells both the same).
    public init(_ denial: PolicyDenial) {
        switch denial {
        case .notConfirmed: self = .notConfirmed
        case .livenessFailed: self = .livenessFailed
        }
    }
}

/// What happened to one triggered lock for one matched face.
public struct LockVerdict: Hashable, Sendable, Codable {
    public enum Status: Hashable, Sendable, Codable {
        case unlocked
        case noGrant
        case outsideZone
        case alreadyUnlocked(SessionID)
        /// An unlock of the lock for this session is being delivered right now.
        case unlockInFlight(SessionID)
        /// The lock was unlocked (or is being unlocked) at this instant, less than its
        /// `min_unlock_interval` ago.
        case tooSoon(since: MonotonicInstant)
        /// The policy is still collecting evidence; `evidence` says what is missing.
        case awaitingEvidence
        /// The policy refused the member's track; the figures are in `evidence`.
        case policyDenied(PolicyDenial)
        case sessionForgotten(SessionID)
    }
    public var lock: LockID
    public var status: Status
    /// The policy's figures: on unlock which frames confirmed it (and the liveness measure),
    /// on a wait what is missing, on deny what was measured against which threshold. nil for a
    /// lock without a policy.
    public var evidence: String?
    public init(lock: LockID, status: Status, evidence: String? = nil) {
        self.lock = lock; self.status = status; self.evidence = evidence
    }
}

/// The outcome for one face of one recognition result: the unit of an audit row.
public struct Decision: Hashable, Sendable {
    public var kind: DecisionKind
    public var txn: DetectingTxn
    /// nil when the txn was unknown.
    public var camera: CameraID?
    /// The stored snapshot the decision was made against; nil when the txn was unknown.
    public var snapshot: CaptureSnapshot?
    /// Position of the face in the result (0-based); nil for a decision about the whole frame
    /// (`recognizerError`).
    public var faceIndex: Int?
    public var box: FaceBox?
    /// The matched member (also for stale or unknown-txn results, to show who it was); nil for
    /// unknown and ambiguous faces.
    public var member: MemberRef?
    /// Distance to the matched member, or to the nearest one when none matched.
    public var distance: Double?
    /// Locks to publish an unlock for, sorted. Always a subset of `snapshot.triggeredLocks`.
    public var unlockedLocks: [LockID]
    /// One per unlocked lock, same order: what the broker delivers and then reports back.
    public var claims: [UnlockClaim] = []
    /// Per triggered lock, for a matched face with a usable snapshot; empty otherwise.
    public var verdicts: [LockVerdict]
    /// One line a person can read in the audit log.
    public var reason: String

    public var isUnlock: Bool { !unlockedLocks.isEmpty }
}

/// Whether a captured frame goes to a recognizer.
public enum FrameAdmission: Hashable, Sendable {
    /// Recognize it and answer with this txn; the snapshot is the stored one (send a copy).
    case detect(DetectingTxn, CaptureSnapshot)
    case skip(FrameSkipReason)

    public var txn: DetectingTxn? {
        if case let .detect(txn, _) = self { return txn }
        return nil
    }
}

public enum FrameSkipReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// No lock session and no motion (with motion locks) open at capture: the camera is idle.
    case nothingTriggered = "nothing_triggered"
    case unknownCamera = "unknown_camera"
    /// Capture time not before the broker's now: cannot be judged against a past not yet known.
    case captureInFuture = "capture_in_future"
    /// Already older than `max_decision_age`: its result could only be stale.
    case tooOld = "too_old"
    /// The same picture as the last judged frame of the same sessions (`FrameChangeGate`):
    /// judging it again could only repeat that frame's decisions. Not a judged frame: no audit row.
    case unchanged = "unchanged"
}

/// A session open now, for `facegate status`.
public struct OpenTrigger: Hashable, Sendable {
    public var source: TriggerSource
    public var session: SessionID
    public var since: MonotonicInstant
    public var deadline: MonotonicInstant
    public var unlockedLocks: [LockID]
}
