import Vocabulary

/// The broker's whole decision state: trigger timelines, pending txns, and the rules that turn
/// a recognition result into unlocks.
///
/// A value type with no I/O and no clock. The broker process owns one, feeds it events under a
/// single lock (MQTT messages, frames, results, each with the CLOCK_MONOTONIC instant it read),
/// and carries out what comes back: forward a frame, publish unlocks, write audit rows.
///
/// The invariant it enforces (DESIGN.md): a lock is unlocked only if (1) a session of that lock,
/// or the camera's motion session with that lock among its motion locks, was open at the
/// frame's capture time, as recorded in the snapshot stored when the frame was admitted;
/// (2) the matched member holds a grant for it; (3) the face lies in the lock's zone if it has
/// one; (4) the result came within `max_decision_age` of capture; and (5) the deciding session
/// (the lock's own occupancy session if it has one in the snapshot, else the motion session)
/// has not unlocked that lock before, nor has an unlock of it in flight; and (6) the lock's
/// policy (`LockPolicy`) accepts the member's face track in that session: enough frames within
/// the window, and liveness if asked for. Nothing else produces
/// an unlock; there is no "unlock all". A decided unlock is a claim (`UnlockClaim`) until the
/// broker reports whether the command was delivered.
///
/// Time: every instant passed in is first clamped to the latest instant already seen. The
/// timeline can then only grow at its end, so a snapshot answered for an instant in the past
/// stays the answer forever.
public struct DecisionEngine: Sendable {
    public let configuration: EngineConfiguration
    public let bootPrefix: BootPrefix
    public private(set) var counters = EngineCounters()
    /// The latest instant seen in any call.
    public private(set) var latest: MonotonicInstant = .zero

    private let cameras: [CameraID: EngineConfiguration.Camera]
    private var lockTimelines: [LockID: TriggerTimeline] = [:]
    private var rateGuards: [LockID: TriggerRateGuard] = [:]
    private var minUnlockInterval: [LockID: TimeSpan] = [:]
    /// When each lock was last unlocked (decided and not failed), for `min_unlock_interval`.
    private var lastUnlock: [LockID: MonotonicInstant] = [:]
    private var motionTimelines: [CameraID: TriggerTimeline] = [:]
    private var txns: TxnTable
    private var sessionIDs: IDAllocator
    private var txnIDs: IDAllocator
    private var policies: [LockID: LockPolicy] = [:]
    /// Matched faces per camera, session and member, for locks whose policy judges more than
    /// one frame.
    private var tracks: FaceTrackStore
    /// Tracks whose policy answered "wait": if no frame settles them before their window is
    /// over, `policyDeadlines` denies them, so a face shown once still leaves its verdict.
    private var waiting: [WaitKey: WaitingTrack] = [:]
    /// Frames that would only repeat the last judged one are not recognized.
    private var changeGate: FrameChangeGate

    /// - Parameter bootPrefix: different for every broker run; see `BootPrefix`.
    public init(configuration: EngineConfiguration, bootPrefix: BootPrefix) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw EngineConfigurationError(problems: problems) }
        self.configuration = configuration
        self.bootPrefix = bootPrefix
        var cameras: [CameraID: EngineConfiguration.Camera] = [:]
        for camera in configuration.cameras {
            cameras[camera.id] = camera
            if let motion = camera.motion {
                motionTimelines[camera.id] = TriggerTimeline(maxOpen: motion.motionMax,
                                                             historyLimit: configuration.sessionHistoryLimit)
            }
        }
        self.cameras = cameras
        for lock in configuration.locks {
            lockTimelines[lock.id] = TriggerTimeline(maxOpen: lock.occupancyMax,
                                                     historyLimit: configuration.sessionHistoryLimit)
            if let limit = lock.triggerLimit { rateGuards[lock.id] = TriggerRateGuard(limit: limit) }
            minUnlockInterval[lock.id] = lock.minUnlockInterval
            policies[lock.id] = lock.policy
        }
        tracks = FaceTrackStore(limits: configuration.trackLimits)
        txns = TxnTable(capacity: configuration.txnCapacity, ttl: configuration.txnTTL)
        changeGate = FrameChangeGate(capacity: configuration.txnCapacity)
        sessionIDs = IDAllocator(prefix: bootPrefix)
        txnIDs = IDAllocator(prefix: bootPrefix)
    }

    // MARK: Trigger events

    /// A lock's `occupancy` value, received at `at`.
    ///
    /// `retained`: the MQTT message carried the retain flag. It describes the past, so a
    /// retained `true` never opens or refreshes a session. A retained `false` is applied:
    /// closing can only deny.
    @discardableResult
    public mutating func occupancy(lock: LockID, occupied: Bool, at: MonotonicInstant,
                                   retained: Bool = false) -> TriggerChange {
        counters.occupancyEvents += 1
        guard lockTimelines[lock] != nil else {
            counters.unknownTriggerEvents += 1
            return .unknownTrigger
        }
        let t = advance(at)
        var change: TriggerChange
        if occupied && !retained, let verdict = rateGuards[lock]?.activation(at: t), verdict != .allowed {
            var closed: SessionID?
            if case let .closed(id) = lockTimelines[lock]!.deactivate(at: t, cause: .suspended) { closed = id }
            change = .suspended(closed: closed, started: verdict == .started)
        } else {
            change = occupied
                ? lockTimelines[lock]!.activate(at: t, retained: retained, ids: &sessionIDs)
                : lockTimelines[lock]!.deactivate(at: t, cause: .deactivated)
        }
        count(change)
        counters.sessionsForgotten += lockTimelines[lock]!.prune(now: t, retention: configuration.retention).forced
        return change
    }

    /// A camera's motion trigger on/off, received at `at`; same rules as `occupancy`.
    @discardableResult
    public mutating func motion(camera: CameraID, active: Bool, at: MonotonicInstant,
                                retained: Bool = false) -> TriggerChange {
        counters.motionEvents += 1
        guard motionTimelines[camera] != nil else {
            counters.unknownTriggerEvents += 1
            return .unknownTrigger
        }
        let t = advance(at)
        let change = active
            ? motionTimelines[camera]!.activate(at: t, retained: retained, ids: &sessionIDs)
            : motionTimelines[camera]!.deactivate(at: t, cause: .deactivated)
        count(change)
        counters.sessionsForgotten += motionTimelines[camera]!.prune(now: t, retention: configuration.retention).forced
        return change
    }

    /// Ends every open session at `at`: what the broker knows about triggers is void (e.g. the
    /// MQTT connection was lost and offs may have been missed). Fail-secure: state after this
    /// is empty until new activations arrive. Pending txns keep their snapshots.
    @discardableResult
    public mutating func closeAllTriggers(at: MonotonicInstant) -> [(source: TriggerSource, session: SessionID)] {
        let t = advance(at)
        var closed: [(TriggerSource, SessionID)] = []
        for lock in lockTimelines.keys.sorted() {
            if case let .closed(id) = lockTimelines[lock]!.deactivate(at: t, cause: .reset) {
                closed.append((.lock(lock), id))
            }
        }
        for camera in motionTimelines.keys.sorted() {
            if case let .closed(id) = motionTimelines[camera]!.deactivate(at: t, cause: .reset) {
                closed.append((.motion(camera), id))
            }
        }
        // Evidence gathered under sessions that no longer count is void too; a waiting track
        // is denied by its deadline as usual (its session ended at the reset).
        tracks.removeAll()
        return closed
    }

    // MARK: Frames

    /// A frame from `camera`, captured at `captureTime`, has reached the broker at `now`.
    ///
    /// Admitted frames get a fresh txn and their snapshot is stored under it; send the frame,
    /// the txn and a copy of the snapshot to a recognizer. If the frame is then dropped
    /// without being sent, call `discardTxn`.
    ///
    /// `thumbnail`: the frame in 32×18 grey cells, asked for only when the camera has a
    /// `changeSkipThreshold` and something was triggered (an idle camera's frames cost nothing);
    /// a frame that shows what the last judged frame of the same sessions showed is then
    /// skipped as `unchanged`. nil: the frame is never skipped for that.
    public mutating func frameCaptured(camera: CameraID, captureTime: MonotonicInstant, imageSize: ImageSize,
                                       now: MonotonicInstant,
                                       thumbnail makeThumbnail: () -> FrameThumbnail? = { nil }) -> FrameAdmission {
        let now = advance(now)
        guard let setup = cameras[camera] else { return skip(.unknownCamera) }
        // Strictly before: a later event may still be stamped `now` itself, and must not be
        // able to change what was true at the capture instant.
        guard captureTime < now else { return skip(.captureInFuture) }
        guard now.since(captureTime) <= configuration.maxDecisionAge else { return skip(.tooOld) }
        let snapshot = makeSnapshot(setup, at: captureTime)
        guard !snapshot.isEmpty else { return skip(.nothingTriggered) }
        let thumbnail = setup.changeSkipThreshold > 0 ? makeThumbnail() : nil
        if let thumbnail, changeGate.unchanged(camera: camera, sessions: snapshot.sessionIDs, thumbnail: thumbnail,
                                               threshold: setup.changeSkipThreshold) != nil {
            return skip(.unchanged)
        }
        var txn = DetectingTxn(txnIDs.next())
        while txns.contains(txn) { txn = DetectingTxn(txnIDs.next()) }
        let (expired, evicted) = txns.insert(PendingTxn(txn: txn, snapshot: snapshot, imageSize: imageSize,
                                                        issuedAt: now))
        if let thumbnail {
            changeGate.admitted(txn: txn, camera: camera, sessions: snapshot.sessionIDs, captureTime: captureTime,
                                thumbnail: thumbnail)
        }
        counters.txnsExpired += expired
        counters.txnsEvicted += evicted
        counters.framesAdmitted += 1
        return .detect(txn, snapshot)
    }

    /// Forgets a pending txn whose frame was never sent (replaced by a newer frame).
    @discardableResult
    public mutating func discardTxn(_ txn: DetectingTxn) -> Bool {
        changeGate.forget(txn: txn)
        guard txns.take(txn) != nil else { return false }
        counters.txnsDiscarded += 1
        return true
    }

    /// The snapshot `camera` would get for a frame captured at `t`, from the timelines as they
    /// stand (read-only; instants older than the retention may find sessions already pruned).
    public func snapshot(camera: CameraID, at t: MonotonicInstant) -> CaptureSnapshot? {
        cameras[camera].map { makeSnapshot($0, at: t) }
    }

    // MARK: Results

    /// The recognizer's answer for `txn`: one decision per face, in face order (none for a
    /// result without faces). The txn is consumed: a second result for it is `unknownTxn`.
    /// `gallery` is the broker's current gallery (members, descriptors, grants).
    public mutating func resultArrived(txn: DetectingTxn, faces: [DetectedFace], now: MonotonicInstant,
                                       gallery: Gallery) -> [Decision] {
        let now = advance(now)
        counters.results += 1
        counters.txnsExpired += txns.expire(now: now)
        let m = configuration.matching
        let matches = faces.map { gallery.match($0.descriptor, threshold: m.threshold, margin: m.margin) }
        var decisions: [Decision] = []

        guard let pending = txns.take(txn) else {
            let why = txn.bootPrefix == bootPrefix
                ? "txn \(txn) is not pending (never issued, already answered, expired or evicted)"
                : "txn \(txn) was not issued by this broker run (run prefix \(bootPrefix))"
            for (i, face) in faces.enumerated() {
                decisions.append(denial(.unknownTxn, txn: txn, pending: nil, index: i, face: face,
                                        match: matches[i], why: why))
            }
            return tally(decisions)
        }

        let age = now.since(pending.snapshot.captureTime)
        if age > configuration.maxDecisionAge {
            let why = "captured \(age) before the result, more than max_decision_age \(configuration.maxDecisionAge)"
            for (i, face) in faces.enumerated() {
                decisions.append(denial(.stale, txn: txn, pending: pending, index: i, face: face,
                                        match: matches[i], why: why))
            }
            changeGate.forget(txn: txn)
            return tally(decisions)
        }

        for (i, face) in faces.enumerated() {
            switch matches[i] {
            case .matched(let nearest, _) where !pending.snapshot.isEmpty:
                if let member = gallery.member(nearest.member.id) {
                    decisions.append(decideMatched(member: member, distance: nearest.distance, face: face, index: i,
                                                   pending: pending, now: now))
                } else {
                    decisions.append(denial(.unknownFace, txn: txn, pending: pending, index: i, face: face,
                                            match: .unknown(nearest: nil), why: "matched member is not in the gallery"))
                }
            case .matched:
                decisions.append(denial(.emptySnapshot, txn: txn, pending: pending, index: i, face: face,
                                        match: matches[i], why: "nothing was triggered when the frame was captured"))
            case .unknown:
                decisions.append(denial(.unknownFace, txn: txn, pending: pending, index: i, face: face,
                                        match: matches[i], why: nil))
            case .ambiguous:
                decisions.append(denial(.ambiguous, txn: txn, pending: pending, index: i, face: face,
                                        match: matches[i], why: nil))
            }
        }
        // Judged: the picture may stand for its repeats when judging it again could only
        // repeat these decisions: no lock at stake counts frames, and none of them waits for
        // time to pass (`too_soon`, a policy still collecting).
        changeGate.judged(txn: txn, repeatable: faces.isEmpty || (
            pending.snapshot.triggeredLocks.allSatisfy { policies[$0]?.isSingleFrame ?? true }
                && decisions.allSatisfy { Self.finalForItsSession.contains($0.kind) }))
        return tally(decisions)
    }

    /// Decisions a repeat of the same picture in the same sessions could only repeat.
    static let finalForItsSession: Set<DecisionKind> = [.unlock, .alreadyUnlocked, .unknownFace, .ambiguous, .noGrant, .outsideZone]

    /// A result for `claimed` from a recognizer the frame was not sent to: judged against no
    /// pending frame (nothing unlocks), and the pending txn, if any, is left for its real
    /// recognizer. The audit names the txn that was claimed.
    public mutating func resultFromWrongRecognizer(claimed: DetectingTxn, faces: [DetectedFace], now: MonotonicInstant,
                                                   gallery: Gallery) -> [Decision] {
        _ = advance(now)
        counters.results += 1
        let m = configuration.matching
        let why = "txn \(claimed) was not given to the recognizer that answered it"
        return tally(faces.enumerated().map { i, face in
            denial(.unknownTxn, txn: claimed, pending: nil, index: i, face: face,
                   match: gallery.match(face.descriptor, threshold: m.threshold, margin: m.margin), why: why)
        })
    }

    /// A result that cannot have come from the frame of `txn` (a replayed descriptor, a box
    /// outside the frame): the txn is consumed, nothing unlocks, and every face is audited as
    /// `implausible` with `reason`.
    public mutating func implausibleResult(txn: DetectingTxn, faces: [DetectedFace], now: MonotonicInstant,
                                           gallery: Gallery, reason: String) -> [Decision] {
        let now = advance(now)
        counters.results += 1
        counters.txnsExpired += txns.expire(now: now)
        let pending = txns.take(txn)
        changeGate.forget(txn: txn)
        let m = configuration.matching
        return tally(faces.enumerated().map { i, face in
            denial(.implausible, txn: txn, pending: pending, index: i, face: face,
                   match: gallery.match(face.descriptor, threshold: m.threshold, margin: m.margin), why: reason)
        })
    }

    /// The recognizer could not process the frame of `txn` and said so. Consumes the txn and
    /// returns the decision to audit (`recognizerError`, nothing unlocked), or nil when the txn
    /// was not pending (nothing to audit: it was never ours, or already decided).
    public mutating func recognizerFailed(txn: DetectingTxn, reason: String, now: MonotonicInstant) -> Decision? {
        let now = advance(now)
        counters.txnsExpired += txns.expire(now: now)
        changeGate.forget(txn: txn)
        guard let pending = txns.take(txn) else { return nil }
        let decision = Decision(kind: .recognizerError, txn: txn, camera: pending.snapshot.camera,
                                snapshot: pending.snapshot, faceIndex: nil, box: nil, member: nil, distance: nil,
                                unlockedLocks: [], verdicts: [], reason: "recognizer could not process the frame: \(reason)")
        return tally([decision])[0]
    }

    private struct WaitKey: Hashable {
        var lock: LockID
        var session: SessionID
        var member: MemberID
    }

    /// The newest face of a waiting track: what its timed denial is audited against.
    private struct WaitingTrack: Sendable {
        var source: TriggerSource
        var member: MemberRef
        var txn: DetectingTxn
        var snapshot: CaptureSnapshot
        var faceIndex: Int
        var box: FaceBox
        var distance: Double
    }

    private mutating func decideMatched(member: Gallery.Member, distance: Double, face: DetectedFace, index: Int,
                                        pending: PendingTxn, now: MonotonicInstant) -> Decision {
        let snapshot = pending.snapshot
        let zones = cameras[snapshot.camera]?.zones ?? [:]
        var verdicts: [LockVerdict] = []
        var claims: [UnlockClaim] = []

        // Evidence first: the face joins the member's track in every session open at its
        // capture, whether or not it opens anything now (a later frame judges the whole track).
        if snapshot.triggeredLocks.contains(where: { !(policies[$0]?.isSingleFrame ?? true) }) {
            let frame = TrackFrame(txn: pending.txn, captureTime: snapshot.captureTime, box: face.box,
                                   landmarks: face.landmarks, distance: distance)
            counters.trackFrames += 1
            counters.trackFramesDropped += tracks.record(frame, member: member.id, camera: snapshot.camera,
                                                         sessions: snapshot.sessionIDs)
        }

        // Only locks of the stored snapshot are ever considered.
        for lock in snapshot.triggeredLocks {
            guard member.grants.contains(lock) else {
                verdicts.append(LockVerdict(lock: lock, status: .noGrant))
                continue
            }
            if let zone = zones[lock] {
                guard let c = face.box.normalizedCentre(in: pending.imageSize), zone.contains(x: c.x, y: c.y) else {
                    verdicts.append(LockVerdict(lock: lock, status: .outsideZone))
                    continue
                }
            }
            // The lock's own occupancy session decides (a new touch may unlock again); the
            // camera's motion session decides only for a lock nobody touched. Every session that
            // triggered the lock is marked, so motion lingering after a touch that already
            // opened the door cannot open it a second time.
            let sessions = snapshot.sessions(for: lock)
            guard let deciding = sessions.first else { continue } // not reachable: lock came from a session
            guard let state = session(in: deciding.source, deciding.session) else {
                verdicts.append(LockVerdict(lock: lock, status: .sessionForgotten(deciding.session)))
                continue
            }
            if state.unlockedLocks.contains(lock) {
                for s in sessions.dropFirst() { _ = updateSession(s.source, s.session) { $0.unlockedLocks.insert(lock) } }
                verdicts.append(LockVerdict(lock: lock, status: .alreadyUnlocked(state.id)))
                continue
            }
            if state.unlocksInFlight.contains(lock) {
                verdicts.append(LockVerdict(lock: lock, status: .unlockInFlight(state.id)))
                continue
            }
            var evidence: String?
            if let policy = policies[lock], !policy.isSingleFrame {
                let key = WaitKey(lock: lock, session: deciding.session, member: member.id)
                // Not reachable without a track: the face was just recorded under this session.
                guard let track = tracks.track(camera: snapshot.camera, session: deciding.session, member: member.id) else {
                    verdicts.append(LockVerdict(lock: lock, status: .awaitingEvidence, evidence: "no face track"))
                    continue
                }
                let evaluation = policy.evaluate(track, session: state.span, now: now)
                switch evaluation.verdict {
                case .unlock:
                    waiting[key] = nil
                    evidence = evaluation.reason
                case .wait:
                    waiting[key] = WaitingTrack(source: deciding.source, member: member.ref, txn: pending.txn,
                                                snapshot: snapshot, faceIndex: index, box: face.box, distance: distance)
                    verdicts.append(LockVerdict(lock: lock, status: .awaitingEvidence, evidence: evaluation.reason))
                    continue
                case let .deny(why):
                    waiting[key] = nil
                    verdicts.append(LockVerdict(lock: lock, status: .policyDenied(why), evidence: evaluation.reason))
                    continue
                }
            }
            // Whatever session asks: a lock opened moments ago is not opened again (a flood of
            // fresh sessions from a spoofed bus must not become a flood of unlocks).
            if let last = lastUnlock[lock], now.since(last) < minUnlockInterval[lock, default: .zero] {
                verdicts.append(LockVerdict(lock: lock, status: .tooSoon(since: last)))
                continue
            }
            // Booked as in flight, not yet unlocked: only the delivery outcome decides that.
            for s in sessions {
                _ = updateSession(s.source, s.session) { $0.unlocksInFlight.insert(lock) }
            }
            var claim = UnlockClaim(lock: lock, sessions: sessions.map { TriggerRef(source: $0.source, session: $0.session) },
                                    deadline: snapshot.captureTime + configuration.maxDecisionAge, decidedAt: now)
            claim.previousUnlock = lastUnlock[lock]
            lastUnlock[lock] = now
            claims.append(claim)
            verdicts.append(LockVerdict(lock: lock, status: .unlocked, evidence: evidence))
        }

        let unlocked = verdicts.filter { $0.status == .unlocked }.map(\.lock)
        let kind: DecisionKind = unlocked.isEmpty ? Self.denialKind(verdicts) : .unlock
        let who = "\(member.name) matched at \(fmt3(distance))"
        let details = verdicts.map { Self.describe($0) }.joined(separator: "; ")
        return Decision(kind: kind, txn: pending.txn, camera: snapshot.camera, snapshot: snapshot, faceIndex: index,
                        box: face.box, member: member.ref, distance: distance, unlockedLocks: unlocked,
                        claims: claims.sorted { $0.lock < $1.lock }, verdicts: verdicts, reason: "\(who); \(details)")
    }

    /// The one kind that best explains why nothing was unlocked.
    private static func denialKind(_ verdicts: [LockVerdict]) -> DecisionKind {
        var kinds = Set<DecisionKind>()
        for v in verdicts {
            switch v.status {
            case .unlocked: return .unlock
            case .noGrant: kinds.insert(.noGrant)
            case .outsideZone: kinds.insert(.outsideZone)
            case .alreadyUnlocked, .unlockInFlight: kinds.insert(.alreadyUnlocked)
            case .tooSoon: kinds.insert(.tooSoon)
            case .awaitingEvidence: kinds.insert(.awaitingConfirmation)
            case let .policyDenied(why): kinds.insert(DecisionKind(why))
            case .sessionForgotten: kinds.insert(.sessionForgotten)
            }
        }
        // What a later frame may still change comes first, then what the face itself failed.
        for k in [DecisionKind.awaitingConfirmation, .livenessFailed, .notConfirmed, .alreadyUnlocked, .tooSoon, .outsideZone,
                  .sessionForgotten, .noGrant]
            where kinds.contains(k) { return k }
        return .emptySnapshot
    }

    private static func describe(_ v: LockVerdict) -> String {
        switch v.status {
        case .unlocked: "unlocked \(v.lock)" + (v.evidence.map { " (\($0))" } ?? "")
        case .noGrant: "\(v.lock): no grant"
        case .outsideZone: "\(v.lock): face outside the lock's zone"
        case let .alreadyUnlocked(s): "\(v.lock): already unlocked in session \(s)"
        case let .unlockInFlight(s): "\(v.lock): an unlock for session \(s) is being delivered"
        case .tooSoon: "\(v.lock): unlocked less than min_unlock_interval ago"
        case .awaitingEvidence: "\(v.lock): \(v.evidence ?? "")"
        case let .policyDenied(why): "\(v.lock): \(why.rawValue): \(v.evidence ?? "")"
        case let .sessionForgotten(s): "\(v.lock): session \(s) is no longer tracked"
        }
    }

    private func denial(_ kind: DecisionKind, txn: DetectingTxn, pending: PendingTxn?, index: Int, face: DetectedFace,
                        match: MatchResult, why: String?) -> Decision {
        let m = configuration.matching
        var member: MemberRef?
        var distance: Double?
        let who: String
        switch match {
        case let .matched(nearest, _):
            member = nearest.member
            distance = nearest.distance
            who = "\(nearest.member.name) matched at \(fmt3(nearest.distance))"
        case let .unknown(nearest?):
            distance = nearest.distance
            who = "unknown face: no member within match_threshold \(m.threshold) (nearest \(nearest.member.name) at \(fmt3(nearest.distance)))"
        case .unknown(nil):
            who = "unknown face: the gallery has no face descriptors"
        case let .ambiguous(best, other):
            distance = best.distance
            who = "ambiguous: \(best.member.name) at \(fmt3(best.distance)) and \(other.member.name) at \(fmt3(other.distance)) are closer than match_margin \(m.margin)"
        }
        return Decision(kind: kind, txn: txn, camera: pending?.snapshot.camera, snapshot: pending?.snapshot,
                        faceIndex: index, box: face.box, member: member, distance: distance, unlockedLocks: [],
                        verdicts: [], reason: why.map { "\(who); \($0)" } ?? who)
    }

    private mutating func tally(_ decisions: [Decision]) -> [Decision] {
        for d in decisions {
            counters.decisions[d.kind, default: 0] += 1
            for tally in DecisionTally.tallies(of: d) { counters.decisionsByLock[tally, default: 0] += 1 }
        }
        return decisions
    }

    // MARK: Delivery outcomes

    /// The command of `claim` was handed over (PUBACK received, or a QoS 0 TOGGLE written or of
    /// unknown fate: treated as sent, never repeated). Its sessions never unlock the lock again.
    public mutating func unlockDelivered(_ claim: UnlockClaim) {
        counters.unlocks += 1
        for s in claim.sessions {
            _ = updateSession(s.source, s.session) { session in
                session.unlocksInFlight.remove(claim.lock)
                session.unlockedLocks.insert(claim.lock)
            }
        }
    }

    /// The command of `claim` did not reach MQTT. Its sessions may unlock the lock again from
    /// a younger frame (still within `max_decision_age` of its own capture).
    public mutating func unlockFailed(_ claim: UnlockClaim) {
        counters.unlocksFailed += 1
        // The door did not open: min_unlock_interval counts from the unlock before.
        if lastUnlock[claim.lock] == claim.decidedAt { lastUnlock[claim.lock] = claim.previousUnlock }
        // The frame that decided it stands for nothing now: its repeats may unlock again.
        changeGate.forgetReferences()
        for s in claim.sessions {
            _ = updateSession(s.source, s.session) { $0.unlocksInFlight.remove(claim.lock) }
        }
    }

    // MARK: Policies

    /// Whether the recognizer should fit the 68-point landmarks for the frame of `snapshot`:
    /// a lock it may open judges liveness. Nobody else pays for them.
    public func landmarksWanted(_ snapshot: CaptureSnapshot) -> Bool {
        snapshot.triggeredLocks.contains { (policies[$0]?.liveness ?? .off) != .off }
    }

    /// Tracks that were waiting for evidence and whose `confirm_window` is over without it:
    /// one denial each (`not_confirmed` or `liveness_failed`, with the figures), audited
    /// against the track's newest frame. Call periodically; a track settled by a frame in the
    /// meantime (unlocked or denied) is not here.
    public mutating func policyDeadlines(now: MonotonicInstant) -> [Decision] {
        let now = advance(now)
        var decisions: [Decision] = []
        let keys = waiting.keys.sorted { ($0.session, $0.lock, $0.member) < ($1.session, $1.lock, $1.member) }
        for key in keys {
            let w = waiting[key]!
            guard let policy = policies[key.lock] else { waiting[key] = nil; continue }
            let state = session(in: w.source, key.session)
            // Unlocked or being unlocked meanwhile (another face, another frame): nothing to deny.
            if let state, state.unlockedLocks.contains(key.lock) || state.unlocksInFlight.contains(key.lock) {
                waiting[key] = nil
                continue
            }
            let why: PolicyDenial
            let evidence: String
            if let state, let track = tracks.track(camera: w.snapshot.camera, session: key.session, member: key.member) {
                let evaluation = policy.evaluate(track, session: state.span, now: now)
                guard case let .deny(denial) = evaluation.verdict else {
                    // Still inside the window. (Time alone never turns a wait into an unlock: only
                    // a frame does, and it is judged when it arrives.)
                    if case .unlock = evaluation.verdict { waiting[key] = nil }
                    continue
                }
                (why, evidence) = (denial, evaluation.reason)
            } else {
                (why, evidence) = (.notConfirmed, "its evidence was dropped (trigger state reset or session forgotten)")
            }
            waiting[key] = nil
            let verdict = LockVerdict(lock: key.lock, status: .policyDenied(why), evidence: evidence)
            decisions.append(Decision(kind: DecisionKind(why), txn: w.txn,
                                      camera: w.snapshot.camera, snapshot: w.snapshot, faceIndex: w.faceIndex, box: w.box,
                                      member: w.member, distance: w.distance, unlockedLocks: [], verdicts: [verdict],
                                      reason: "\(w.member.name) matched at \(fmt3(w.distance)); confirm_window over; "
                                          + Self.describe(verdict)))
        }
        return tally(decisions)
    }

    /// Tracks waiting for evidence (tests; not yet in `facegate status`).
    public var waitingTrackCount: Int { waiting.count }

    /// Frames kept in face tracks, over every track (tests; not yet in `facegate status`).
    public var trackFrameCount: Int { tracks.frameCount }

    // MARK: Status and housekeeping

    /// Sessions open at `now`, locks first, for `facegate status`.
    public func openTriggers(now: MonotonicInstant) -> [OpenTrigger] {
        var open: [OpenTrigger] = []
        for lock in lockTimelines.keys.sorted() {
            if let s = lockTimelines[lock]!.session(openAt: now) {
                open.append(OpenTrigger(source: .lock(lock), session: s.id, since: s.start, deadline: s.end,
                                        unlockedLocks: s.unlocked))
            }
        }
        for camera in motionTimelines.keys.sorted() {
            if let s = motionTimelines[camera]!.session(openAt: now) {
                open.append(OpenTrigger(source: .motion(camera), session: s.id, since: s.start, deadline: s.end,
                                        unlockedLocks: s.unlocked))
            }
        }
        return open
    }

    /// The sessions kept for a trigger, oldest first (status, tests).
    public func sessions(of source: TriggerSource) -> [TriggerSession] {
        timeline(source)?.sessions ?? []
    }

    public var pendingTxnCount: Int { txns.count }

    /// Drops history and pending txns that can no longer matter. Every event already prunes
    /// what it touches; call this periodically so idle triggers are pruned too.
    /// Returns the locks whose trigger suspension ended (quiet long enough).
    @discardableResult
    public mutating func housekeeping(now: MonotonicInstant) -> [LockID] {
        let now = advance(now)
        var released: [LockID] = []
        for lock in rateGuards.keys.sorted() where rateGuards[lock]!.release(at: now) { released.append(lock) }
        let retention = configuration.retention
        for lock in lockTimelines.keys {
            counters.sessionsForgotten += lockTimelines[lock]!.prune(now: now, retention: retention).forced
        }
        for camera in motionTimelines.keys {
            counters.sessionsForgotten += motionTimelines[camera]!.prune(now: now, retention: retention).forced
        }
        counters.txnsExpired += txns.expire(now: now)
        // Tracks of sessions that are no longer kept can never decide again.
        var live = Set<SessionID>()
        for timeline in lockTimelines.values { for s in timeline.sessions { live.insert(s.id) } }
        for timeline in motionTimelines.values { for s in timeline.sessions { live.insert(s.id) } }
        let waitingSessions = Set(waiting.keys.map(\.session))
        for id in tracks.sessions where !live.contains(id) && !waitingSessions.contains(id) {
            _ = tracks.sessionClosed(id)
        }
        return released
    }

    /// Whether `lock`'s sessions are suspended by a trigger flood at `now`.
    public func isSuspended(_ lock: LockID, now: MonotonicInstant) -> Bool {
        rateGuards[lock]?.isSuspended(at: now) ?? false
    }

    // MARK: Internals

    private mutating func advance(_ t: MonotonicInstant) -> MonotonicInstant {
        if t < latest {
            counters.clampedInstants += 1
            return latest
        }
        latest = t
        return t
    }

    private mutating func skip(_ reason: FrameSkipReason) -> FrameAdmission {
        counters.framesSkipped[reason, default: 0] += 1
        return .skip(reason)
    }

    private mutating func count(_ change: TriggerChange) {
        switch change {
        case let .opened(_, replaced):
            counters.sessionsOpened += 1
            if replaced != nil { counters.sessionsExpired += 1 }
        case .alreadyExpired: counters.sessionsExpired += 1
        case .ignoredRetained: counters.retainedIgnored += 1
        case let .suspended(_, started): if started { counters.triggerSuspensions += 1 }
        case .refreshed, .closed, .ignoredNotOpen, .unknownTrigger: break
        }
    }

    private func makeSnapshot(_ camera: EngineConfiguration.Camera, at t: MonotonicInstant) -> CaptureSnapshot {
        var lockSessions: [CaptureSnapshot.LockSession] = []
        for lock in camera.locks {
            if let s = lockTimelines[lock]?.session(openAt: t) {
                lockSessions.append(CaptureSnapshot.LockSession(lock: lock, session: s.id))
            }
        }
        var motion: CaptureSnapshot.Motion?
        if let setup = camera.motion, let s = motionTimelines[camera.id]?.session(openAt: t) {
            motion = CaptureSnapshot.Motion(session: s.id, locks: setup.locks.sorted())
        }
        return CaptureSnapshot(camera: camera.id, captureTime: t, lockSessions: lockSessions, motion: motion)
    }

    private func timeline(_ source: TriggerSource) -> TriggerTimeline? {
        switch source {
        case let .lock(lock): lockTimelines[lock]
        case let .motion(camera): motionTimelines[camera]
        }
    }

    private func session(in source: TriggerSource, _ id: SessionID) -> TriggerSession? {
        timeline(source)?.session(id)
    }

    private mutating func updateSession<R>(_ source: TriggerSource, _ id: SessionID,
                                           _ body: (inout TriggerSession) -> R) -> R? {
        switch source {
        case let .lock(lock): lockTimelines[lock]?.update(id, body)
        case let .motion(camera): motionTimelines[camera]?.update(id, body)
        }
    }
}

/// Three decimals, without Foundation: `0.412`.
func fmt3(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    let r = (abs(x) * 1000).rounded()
    guard r < 1e15 else { return "\(x)" }
    let v = Int(r)
    let frac = v % 1000
    let fracText = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
    return (x < 0 ? "-" : "") + "\(v / 1000).\(fracText)"
}
