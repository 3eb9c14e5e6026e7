/// The trigger context of one frame, as of its capture time.
///
/// This is the only source of locks a decision may open: the engine stores it under the frame's
/// txn when the frame is admitted and reads it back when the result arrives, whatever happened
/// to the live timelines in between.
public struct CaptureSnapshot: Hashable, Sendable, Codable {
    /// A lock session open at the capture instant.
    public struct LockSession: Hashable, Sendable, Codable {
        public var lock: LockID
        public var session: SessionID
        public init(lock: LockID, session: SessionID) { self.lock = lock; self.session = session }
    }

    /// The camera's motion session open at the capture instant, with the camera's motion locks.
    public struct Motion: Hashable, Sendable, Codable {
        public var session: SessionID
        public var locks: [LockID]
        public init(session: SessionID, locks: [LockID]) { self.session = session; self.locks = locks }
    }

    public var camera: CameraID
    public var captureTime: MonotonicInstant
    /// Sorted by lock id.
    public var lockSessions: [LockSession]
    public var motion: Motion?

    public init(camera: CameraID, captureTime: MonotonicInstant, lockSessions: [LockSession], motion: Motion?) {
        self.camera = camera
        self.captureTime = captureTime
        self.lockSessions = lockSessions.sorted { $0.lock < $1.lock }
        self.motion = motion
    }

    /// Locks a matched member could open from this frame: locks in session, plus the motion
    /// locks if motion was on. Sorted, without duplicates.
    public var triggeredLocks: [LockID] {
        Set(lockSessions.map(\.lock) + (motion?.locks ?? [])).sorted()
    }

    /// Nothing was triggered at capture: such a frame is not recognized at all.
    public var isEmpty: Bool { lockSessions.isEmpty && (motion?.locks.isEmpty ?? true) }

    /// Every session open at capture, lock sessions first.
    public var sessionIDs: [SessionID] {
        lockSessions.map(\.session) + (motion.map { [$0.session] } ?? [])
    }

    /// The sessions on whose behalf `lock` may be unlocked from this frame.
    func sessions(for lock: LockID) -> [(source: TriggerSource, session: SessionID)] {
        var result: [(TriggerSource, SessionID)] = []
        for s in lockSessions where s.lock == lock { result.append((.lock(lock), s.session)) }
        if let motion, motion.locks.contains(lock) { result.append((.motion(camera), motion.session)) }
        return result
    }
}

/// What opens sessions: a lock's occupancy or a camera's motion trigger.
public enum TriggerSource: Hashable, Sendable, Codable, CustomStringConvertible {
    case lock(LockID)
    case motion(CameraID)

    public var description: String {
        switch self {
        case let .lock(l): "lock \(l)"
        case let .motion(c): "motion on \(c)"
        }
    }
}
