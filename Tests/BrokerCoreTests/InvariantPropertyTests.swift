import BrokerCore
import Vocabulary
import XCTest

/// Randomized, seeded runs of the whole engine against an independent model of the rules.
///
/// Each run interleaves touches, releases, retained messages, motion, resets, late-stamped
/// events, frames (some too old or from the future), pipelined and duplicated results, bogus
/// txns and gallery faces of every kind. Every unlock is then checked against facts recomputed
/// from the raw event log, not from the engine's own state:
///   - the lock had an occupancy session open at the frame's capture time, or the camera's
///     motion was on then and the lock is one of its motion locks;
///   - the lock was in the snapshot returned when the frame was admitted (the stored copy);
///   - the face was that member's, the member holds a grant, the face is in the lock's zone;
///   - the result came within max_decision_age of capture;
///   - the deciding session had not been used for that lock before (at most once per session).
final class InvariantPropertyTests: XCTestCase {
    private enum EventKind { case on, off }
    private struct Event { var at: MonotonicInstant; var kind: EventKind }

    /// The spec of a trigger timeline, written independently of `TriggerTimeline`: the
    /// oracle session index open at `t`, if any.
    private static func oracleSession(_ events: [Event], maxOpen: TimeSpan, at t: MonotonicInstant) -> Int? {
        var open = false
        var deadline = MonotonicInstant.zero
        var index = -1
        for e in events where e.at <= t {
            switch e.kind {
            case .on:
                if open && e.at < deadline {
                    deadline = e.at + maxOpen
                } else {
                    open = true
                    index += 1
                    deadline = e.at + maxOpen
                }
            case .off:
                open = false
            }
        }
        return open && t < deadline ? index : nil
    }

    private struct PendingFrame {
        var txn: DetectingTxn
        var snapshot: CaptureSnapshot
        var faces: [DetectedFace]
        var truth: [MemberID?] // whose face each one is (nil: stranger or a twin)
        var deliverAt: Double
    }

    func testInvariantHoldsOnRandomRuns() throws {
        var totals: [DecisionKind: Int] = [:]
        for seed in UInt64(1)...150 {
            try run(seed: seed, totals: &totals)
        }
        // The runs must actually exercise the rules, or the checks above prove nothing.
        for kind in [DecisionKind.unlock, .alreadyUnlocked, .noGrant, .unknownFace, .ambiguous, .stale, .unknownTxn,
                     .outsideZone, .awaitingConfirmation, .notConfirmed] {
            XCTAssertGreaterThan(totals[kind, default: 0], 0, "no \(kind) decision in any run")
        }
        XCTAssertGreaterThan(totals[.unlock, default: 0], 200)
    }

    private func run(seed: UInt64, totals: inout [DecisionKind: Int]) throws {
        var rng = SeededGenerator(seed: seed)
        let locks: [LockID] = ["L1", "L2", "L3", "L4"]
        let camA: CameraID = "cam-a", camB: CameraID = "cam-b"
        let occupancyMax = TimeSpan.seconds(5)
        let motionMax = TimeSpan.seconds(6)
        let maxAge = TimeSpan.seconds(3)
        let zoneL2 = try NormalizedRect(minX: 0.5, minY: 0, maxX: 1, maxY: 1)
        let confirm = Int.random(in: 1...3, using: &rng)
        let window = TimeSpan.seconds(Double.random(in: 0.5...2.5, using: &rng))
        let config = EngineConfiguration(
            locks: locks.map { .init(id: $0, occupancyMax: occupancyMax, policy: LockPolicy(confirmFrames: confirm, confirmWindow: window)) },
            cameras: [.init(id: camA, locks: ["L1", "L2", "L3"], motion: .init(locks: ["L1", "L2"], motionMax: motionMax),
                            zones: ["L2": zoneL2]),
                      .init(id: camB, locks: ["L3", "L4"])],
            matching: .init(threshold: 0.5, margin: 0.05),
            maxDecisionAge: maxAge, historyMargin: .seconds(1),
            sessionHistoryLimit: Bool.random(using: &rng) ? 3 : 64,
            txnCapacity: Int.random(in: 4...32, using: &rng))
        var engine = try DecisionEngine(configuration: config, bootPrefix: BootPrefix(UInt32(truncatingIfNeeded: seed)))

        // Members 1-4 with distinct axes; 5 and 6 are near-identical twins; strangers elsewhere.
        let grants: [MemberID: Set<LockID>] = [MemberID(1): ["L1", "L2", "L3"], MemberID(2): ["L3"],
                                               MemberID(3): ["L4", "L1"], MemberID(4): [],
                                               MemberID(5): ["L1"], MemberID(6): ["L1"]]
        func base(_ m: Int64) -> [(Int, Float)] { m == 6 ? [(5, Float(0.5)), (6, Float(0.01))] : [(Int(m), Float(0.5))] }
        let gallery = Gallery(members: (1...6).map { m in
            Gallery.Member(id: MemberID(m), name: "m\(m)", descriptors: [Cast.vector(base(m))], grants: grants[MemberID(m)]!)
        })
        func randomFace() -> (DetectedFace, MemberID?) {
            let who = Int64.random(in: 1...8, using: &rng) // 7, 8: strangers
            var parts: [(Int, Float)] = who <= 6 ? base(who) : [(20 + Int(who), Float(0.5))]
            parts.append((30 + Int.random(in: 0..<90, using: &rng), Float.random(in: 0...0.2, using: &rng)))
            let x = Double.random(in: 0...1, using: &rng), y = Double.random(in: 0...1, using: &rng)
            let cx = Int(x * 640), cy = Int(y * 480)
            let face = DetectedFace(box: FaceBox(left: cx - 20, top: cy - 20, right: cx + 20, bottom: cy + 20),
                                    descriptor: Cast.vector(parts))
            return (face, who <= 4 ? MemberID(who) : nil)
        }

        var lockEvents: [LockID: [Event]] = [:]
        var motionEvents: [Event] = []
        var latest = MonotonicInstant.zero
        func stamp(_ t: MonotonicInstant) -> MonotonicInstant { latest = max(latest, t); return latest }

        var pending: [PendingFrame] = []
        var usedForLock = Set<[UInt64]>() // [session, lock hash] pairs already used for that lock
        var inFlight: [(claim: UnlockClaim, deciding: SessionID, sessions: [SessionID])] = []
        var claimedNow = Set<[UInt64]>() // [session, lock hash] with a claim in flight
        var oracleIdentity: [String: SessionID] = [:] // "lock#oracleIndex" -> engine session id
        var evidence: [String: Set<MonotonicInstant>] = [:] // capture instants of matched faces per (member, session)
        var now = 0.0
        func t(_ s: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: 1_000_000_000_000) + .seconds(s) }

        for _ in 0..<400 {
            now += Double.random(in: 0...0.6, using: &rng)
            // Now and then an event stamped in the past (clock read before a lock was taken).
            let stampAt = Int.random(in: 0..<20, using: &rng) == 0 ? now - 0.3 : now
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<22:
                let lock = locks.randomElement(using: &rng)!
                let retained = Int.random(in: 0..<10, using: &rng) == 0
                engine.occupancy(lock: lock, occupied: true, at: t(stampAt), retained: retained)
                let at = stamp(t(stampAt))
                if !retained { lockEvents[lock, default: []].append(Event(at: at, kind: .on)) }
            case 22..<34:
                let lock = locks.randomElement(using: &rng)!
                engine.occupancy(lock: lock, occupied: false, at: t(stampAt))
                lockEvents[lock, default: []].append(Event(at: stamp(t(stampAt)), kind: .off))
            case 34..<40:
                let on = Bool.random(using: &rng)
                let retained = on && Int.random(in: 0..<10, using: &rng) == 0
                engine.motion(camera: camA, active: on, at: t(stampAt), retained: retained)
                let at = stamp(t(stampAt))
                if !retained { motionEvents.append(Event(at: at, kind: on ? .on : .off)) }
            case 40:
                engine.closeAllTriggers(at: t(stampAt))
                let at = stamp(t(stampAt))
                for lock in locks { lockEvents[lock, default: []].append(Event(at: at, kind: .off)) }
                motionEvents.append(Event(at: at, kind: .off))
            case 41..<80:
                let camera = Bool.random(using: &rng) ? camA : camB
                let lag = Int.random(in: 0..<15, using: &rng) == 0 ? Double.random(in: -0.2...4, using: &rng)
                    : Double.random(in: 0.001...0.3, using: &rng)
                let admission = engine.frameCaptured(camera: camera, captureTime: t(now - lag),
                                                     imageSize: ImageSize(width: 640, height: 480), now: t(now))
                _ = stamp(t(now))
                if case let .detect(txn, snapshot) = admission {
                    XCTAssertFalse(snapshot.isEmpty)
                    XCTAssertLessThan(snapshot.captureTime, latest)
                    let faces = (0..<Int.random(in: 0...2, using: &rng)).map { _ in randomFace() }
                    pending.append(PendingFrame(txn: txn, snapshot: snapshot, faces: faces.map(\.0), truth: faces.map(\.1),
                                                deliverAt: now + Double.random(in: 0...(Bool.random(using: &rng) ? 1 : 4.5), using: &rng)))
                }
            case 80..<83:
                let bogus = DetectingTxn(UInt64.random(in: 0...UInt64.max, using: &rng))
                for d in engine.resultArrived(txn: bogus, faces: [randomFace().0], now: t(now), gallery: gallery) {
                    XCTAssertEqual(d.kind, .unknownTxn)
                    XCTAssertTrue(d.unlockedLocks.isEmpty)
                }
                _ = stamp(t(now))
            default:
                engine.housekeeping(now: t(now))
                for d in engine.policyDeadlines(now: t(now)) {
                    totals[d.kind, default: 0] += 1
                    XCTAssertTrue([.notConfirmed, .livenessFailed].contains(d.kind), "a deadline only denies: \(d.kind)")
                    XCTAssertTrue(d.unlockedLocks.isEmpty && d.claims.isEmpty)
                    XCTAssertGreaterThan(confirm, 1, "a single-frame lock never waits")
                }
                _ = stamp(t(now))
            }

            // Outcomes of commands in flight: mostly delivered, sometimes failed, sometimes later.
            var stillInFlight: [(claim: UnlockClaim, deciding: SessionID, sessions: [SessionID])] = []
            for entry in inFlight {
                let key = { (s: SessionID) in [s.rawValue, UInt64(entry.claim.lock.rawValue.hashValue.magnitude)] }
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<6:
                    engine.unlockDelivered(entry.claim)
                    XCTAssertFalse(usedForLock.contains(key(entry.deciding)),
                                   "\(entry.claim.lock) delivered twice in session \(entry.deciding) (seed \(seed))")
                    for s in entry.sessions { usedForLock.insert(key(s)); claimedNow.remove(key(s)) }
                case 6..<8:
                    engine.unlockFailed(entry.claim)
                    for s in entry.sessions { claimedNow.remove(key(s)) }
                default:
                    stillInFlight.append(entry)
                }
            }
            inFlight = stillInFlight

            // Deliver due results, in random order, sometimes twice.
            pending.shuffle(using: &rng)
            var remaining: [PendingFrame] = []
            for frame in pending {
                guard frame.deliverAt <= now else { remaining.append(frame); continue }
                let times = Int.random(in: 0..<10, using: &rng) == 0 ? 2 : 1
                for attempt in 0..<times {
                    let decisions = engine.resultArrived(txn: frame.txn, faces: frame.faces, now: t(now), gallery: gallery)
                    _ = stamp(t(now))
                    XCTAssertEqual(decisions.count, frame.faces.count)
                    for d in decisions {
                        totals[d.kind, default: 0] += 1
                        XCTAssertEqual(d.isUnlock, d.kind == .unlock)
                        if attempt > 0 { XCTAssertEqual(d.kind, .unknownTxn, "a txn is answered once") }
                        if d.kind != .unknownTxn { XCTAssertEqual(d.snapshot, frame.snapshot, "decided on the stored snapshot") }
                        // Every face the engine judged for a member is evidence for that member in
                        // each session of the frame (a superset of what its tracks keep).
                        if let m = d.member, !d.verdicts.isEmpty {
                            for s in frame.snapshot.sessionIDs { evidence["\(m.id)|\(s)", default: []].insert(frame.snapshot.captureTime) }
                        }
                        guard d.isUnlock else { continue }
                        try check(unlock: d, frame: frame, now: t(now))
                    }
                }
            }
            pending = remaining

            func check(unlock d: Decision, frame: PendingFrame, now: MonotonicInstant) throws {
                let capture = frame.snapshot.captureTime
                let camera = frame.snapshot.camera
                let member = try XCTUnwrap(d.member)
                let faceIndex = try XCTUnwrap(d.faceIndex, "an unlock is always about one face")
                XCTAssertEqual(frame.truth[faceIndex], member.id, "unlock for the wrong person")
                XCTAssertLessThanOrEqual(now.since(capture), maxAge)
                for lock in d.unlockedLocks {
                    XCTAssertTrue(frame.snapshot.triggeredLocks.contains(lock), "\(lock) not in the stored snapshot")
                    XCTAssertTrue(grants[member.id]!.contains(lock), "\(member) has no grant for \(lock)")
                    XCTAssertTrue(config.cameras.first { $0.id == camera }!.locks.contains(lock))
                    if camera == camA && lock == "L2" {
                        let c = frame.faces[faceIndex].box.normalizedCentre(in: ImageSize(width: 640, height: 480))!
                        XCTAssertTrue(zoneL2.contains(x: c.x, y: c.y), "face outside L2's zone")
                    }
                    // Independent truth: was the lock triggered at capture?
                    let occ = Self.oracleSession(lockEvents[lock] ?? [], maxOpen: occupancyMax, at: capture)
                    let motionOn = camera == camA && ["L1", "L2"].contains(lock)
                        && Self.oracleSession(motionEvents, maxOpen: motionMax, at: capture) != nil
                    XCTAssertTrue(occ != nil || motionOn, "\(lock) unlocked but not triggered at capture (seed \(seed))")
                    // Session identity agrees with the oracle, one to one.
                    let engineOcc = frame.snapshot.lockSessions.first { $0.lock == lock }?.session
                    XCTAssertEqual(engineOcc != nil, occ != nil, "snapshot disagrees with the oracle on \(lock)")
                    if let occ, let engineOcc {
                        let key = "\(lock)#\(occ)"
                        if let known = oracleIdentity[key] { XCTAssertEqual(known, engineOcc) }
                        oracleIdentity[key] = engineOcc
                    }
                    // At most once per deciding session: never decided while a command for it is
                    // in flight, never after one was delivered (checked when it is).
                    let deciding = try XCTUnwrap(engineOcc ?? frame.snapshot.motion?.session)
                    let key = [deciding.rawValue, UInt64(lock.rawValue.hashValue.magnitude)]
                    XCTAssertFalse(usedForLock.contains(key), "\(lock) unlocked again in session \(deciding) (seed \(seed))")
                    XCTAssertFalse(claimedNow.contains(key), "\(lock) claimed twice at once in session \(deciding) (seed \(seed))")
                    let sessions = [engineOcc, frame.snapshot.motion.flatMap { $0.locks.contains(lock) ? $0.session : nil }].compactMap { $0 }
                    for s in sessions { claimedNow.insert([s.rawValue, UInt64(lock.rawValue.hashValue.magnitude)]) }
                    let claim = try XCTUnwrap(d.claims.first { $0.lock == lock }, "every unlocked lock has its claim")
                    XCTAssertEqual(claim.deadline, capture + maxAge)
                    XCTAssertEqual(Set(claim.sessions.map(\.session)), Set(sessions))
                    inFlight.append((claim, deciding, sessions))
                    // confirm_frames distinct capture instants of this member in the deciding
                    // session, all within one confirm_window.
                    let instants = (evidence["\(member.id)|\(deciding)"] ?? []).sorted()
                    let confirmed = instants.count >= confirm && (0...(instants.count - confirm)).contains {
                        instants[$0 + confirm - 1].since(instants[$0]) <= window
                    }
                    XCTAssertTrue(confirmed, "unlocked without \(confirm) frames within \(window): \(instants.count) (seed \(seed))")
                }
            }
        }
    }
}
