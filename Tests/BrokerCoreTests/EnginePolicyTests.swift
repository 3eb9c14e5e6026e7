import BrokerCore
import Vocabulary
import XCTest

/// The decision engine applying each lock's `LockPolicy`: tracks fed from results, waits,
/// denials when the window passes, liveness per lock, landmarks asked for only where needed.
final class EnginePolicyTests: XCTestCase {
    typealias C = Cast

    private func engine(dc006: LockPolicy, dc001: LockPolicy = LockPolicy()) -> DecisionEngine {
        C.engine(C.configuration(policies: [C.dc006: dc006, C.dc001: dc001]))
    }

    // MARK: Confirmation over time

    func testAFaceShownOnceIsDeniedWhenTheWindowEndsAndOnlyThen() throws {
        // L4: confirm_frames = 3, obama in one frame only.
        var e = engine(dc006: LockPolicy(confirmFrames: 3, confirmWindow: .seconds(2)))
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d.map(\.kind), [.awaitingConfirmation])
        XCTAssertEqual(e.waitingTrackCount, 1)
        XCTAssertEqual(e.policyDeadlines(now: at(2.9)), [], "the window (2 s from the capture at 1 s) is still open")
        let denied = e.policyDeadlines(now: at(3.0))
        XCTAssertEqual(denied.map(\.kind), [.notConfirmed])
        XCTAssertEqual(denied[0].txn, d[0].txn, "audited against the frame that was seen")
        XCTAssertEqual(denied[0].member?.name, "obama")
        XCTAssertEqual(denied[0].camera, C.camA)
        XCTAssertEqual(denied[0].unlockedLocks, [])
        XCTAssertEqual(denied[0].verdicts, [LockVerdict(lock: C.dc006, status: .policyDenied(.notConfirmed),
                                                        evidence: "confirmed by 1 of 3 frames within 2.000s")])
        XCTAssertTrue(denied[0].reason.contains("DC006: not_confirmed: confirmed by 1 of 3 frames"), denied[0].reason)
        XCTAssertEqual(e.policyDeadlines(now: at(10)), [], "denied once")
        XCTAssertEqual(e.counters.decisions[.notConfirmed], 1)
        XCTAssertEqual(e.counters.unlocks, 0)
    }

    func testAWaitSettledByAnUnlockIsNotDeniedLater() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2)))
        e.touch(C.dc006, 0)
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1)).map(\.kind), [.awaitingConfirmation])
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.5)).map(\.kind), [.unlock])
        XCTAssertEqual(e.waitingTrackCount, 0)
        XCTAssertEqual(e.policyDeadlines(now: at(5)), [])
    }

    func testAWaitingTrackIsDeniedEvenAfterTheTouchEnded() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2)))
        e.touch(C.dc006, 0)
        _ = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        e.release(C.dc006, 1.5)
        e.housekeeping(now: at(2))
        XCTAssertEqual(e.policyDeadlines(now: at(3.1)).map(\.kind), [.notConfirmed])
    }

    func testFramesFromAnotherSessionDoNotConfirm() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 2, confirmWindow: .seconds(4)))
        e.touch(C.dc006, 0)
        _ = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        e.release(C.dc006, 1.2)
        e.touch(C.dc006, 1.4)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.6))
        XCTAssertEqual(d.map(\.kind), [.awaitingConfirmation], d[0].reason)
        XCTAssertTrue(d[0].reason.contains("1 of 2 confirming frames"), d[0].reason)
    }

    func testAResetVoidsTheEvidence() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2)))
        e.touch(C.dc006, 0)
        _ = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        e.closeAllTriggers(at: at(1.2))
        e.touch(C.dc006, 1.3)
        // A new session: the frame before the reset counts for nothing.
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.5)).map(\.kind), [.awaitingConfirmation])
        let denied = e.policyDeadlines(now: at(3.6))
        XCTAssertEqual(denied.map(\.kind), [.notConfirmed, .notConfirmed])
        XCTAssertEqual(e.counters.unlocks, 0)
    }

    // MARK: Liveness per lock

    /// Frames of obama at 0.1 s steps from `start`, landmarks from `shape(i)`.
    private func show(_ e: inout DecisionEngine, from start: Double, count: Int,
                      _ shape: (Int) -> FaceLandmarks?) -> [[Decision]] {
        (0..<count).map { i in
            e.show([C.face(C.obamaShown, landmarks: shape(i))], capturedAt: start + Double(i) * 0.1) ?? []
        }
    }

    func testATurningHeadUnlocksAPlanarLockAndTheReasonGivesTheFigures() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 1, confirmWindow: .seconds(2), liveness: .planar))
        e.touch(C.dc006, 0)
        let decisions = show(&e, from: 1, count: 8) { head(Pose(yaw: Double($0) * 5 - 20)) }
        let kinds = decisions.map { $0[0].kind }
        let first = try XCTUnwrap(kinds.firstIndex(of: .unlock), "\(decisions.map { $0[0].reason })")
        XCTAssertGreaterThanOrEqual(first, 2, "planar needs at least 3 frames")
        XCTAssertEqual(Array(kinds[..<first]), Array(repeating: .awaitingConfirmation, count: first))
        let reason = decisions[first][0].reason
        XCTAssertTrue(reason.contains("unlocked DC006 (confirmed by"), reason)
        XCTAssertTrue(reason.contains("planar residual"), reason)
        XCTAssertEqual(decisions[first][0].unlockedLocks, [C.dc006])
    }

    func testAPhotoMovedAndTiltedIsDeniedOnAPlanarLockButOpensTheLockWithoutLiveness() throws {
        // L5's shape: the same frames, DC006 judges liveness, DC001 does not.
        var e = engine(dc006: LockPolicy(confirmFrames: 1, confirmWindow: .seconds(1), liveness: .planar))
        e.touch(C.dc006, 0)
        e.touch(C.dc001, 0)
        let decisions = show(&e, from: 1, count: 14) { i in
            photo(Pose(yaw: Double(i % 7) * 10 - 30, pitch: Double(i % 5) * 8 - 16, roll: Double(i) * 3, x: Double(i) * 5))
        }
        XCTAssertEqual(decisions[0][0].unlockedLocks, [C.dc001], "DC001 has no liveness check")
        let dc006 = decisions.map { $0[0].verdicts.first { $0.lock == C.dc006 }! }
        XCTAssertFalse(dc006.contains { $0.status == .unlocked }, "a photo opened DC006")
        // Inside the window (frames decided before 2.0 s: the first 7): waiting; after it, a
        // liveness denial.
        XCTAssertEqual(dc006.prefix(7).filter { if case .awaitingEvidence = $0.status { true } else { false } }.count, 7)
        let last = try XCTUnwrap(dc006.last)
        XCTAssertEqual(last.status, .policyDenied(.livenessFailed))
        XCTAssertTrue(last.evidence?.contains("planar residual") ?? false, "\(String(describing: last.evidence))")
        XCTAssertEqual(decisions.last?[0].kind, .livenessFailed,
                       "DC001 already opened in this session; the row names what DC006 refused")
        XCTAssertEqual(e.counters.decisions[.unlock], 1)
    }

    func testAFaceWithoutLandmarksNeverPassesLiveness() throws {
        // A recognizer that did not send landmarks (old, or failing) cannot open a liveness lock.
        var e = engine(dc006: LockPolicy(confirmFrames: 1, confirmWindow: .seconds(1), liveness: .planar))
        e.touch(C.dc006, 0)
        let decisions = show(&e, from: 1, count: 15) { _ in nil }
        XCTAssertEqual(e.counters.decisions[.unlock, default: 0], 0)
        XCTAssertEqual(decisions.last?[0].kind, .livenessFailed)
        XCTAssertTrue(decisions.last?[0].reason.contains("with usable landmarks") ?? false, "\(decisions.last?[0].reason ?? "")")
    }

    func testAStillPhotoIsDeniedByTheDeadlineForTooLittleMotion() throws {
        // L2: the same landmarks frame after frame (a photo held still), then nothing more.
        var e = engine(dc006: LockPolicy(confirmFrames: 1, confirmWindow: .seconds(1), liveness: .planar))
        e.touch(C.dc006, 0)
        let still = photo(Pose(yaw: 5))
        let decisions = show(&e, from: 1, count: 5) { _ in still }
        XCTAssertEqual(Set(decisions.map { $0[0].kind }), [.awaitingConfirmation])
        let denied = e.policyDeadlines(now: at(2.5))
        XCTAssertEqual(denied.map(\.kind), [.livenessFailed])
        XCTAssertTrue(denied[0].reason.contains("too little motion"), denied[0].reason)
    }

    // MARK: What the recognizer is asked for

    func testLandmarksAreWantedOnlyForFramesThatALivenessLockMayOpen() throws {
        var e = engine(dc006: LockPolicy(liveness: .planar, thresholds: syntheticThresholds), dc001: LockPolicy(confirmFrames: 3))
        e.touch(C.dc001, 0)
        guard case let .detect(_, onlyDC001) = e.capture(at: 0.5) else { return XCTFail("not admitted") }
        XCTAssertFalse(e.landmarksWanted(onlyDC001), "DC001 counts frames but judges no liveness")
        e.touch(C.dc006, 1)
        guard case let .detect(_, both) = e.capture(at: 1.5) else { return XCTFail("not admitted") }
        XCTAssertTrue(e.landmarksWanted(both))
        XCTAssertFalse(C.engine().landmarksWanted(both), "no policy, no landmarks")
    }

    func testSingleFrameLocksKeepNoTracks() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        _ = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(e.trackFrameCount, 0)
        XCTAssertEqual(e.counters.trackFrames, 0)
    }

    func testTracksOfForgottenSessionsAreDropped() throws {
        var e = engine(dc006: LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2)))
        e.touch(C.dc006, 0)
        _ = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(e.trackFrameCount, 1)
        e.release(C.dc006, 1.5)
        _ = e.policyDeadlines(now: at(4))
        // Retention is max_decision_age + history margin after the session ended.
        e.housekeeping(now: at(60))
        XCTAssertEqual(e.trackFrameCount, 0)
    }
}
