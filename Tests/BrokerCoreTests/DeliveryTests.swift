import BrokerCore
import XCTest

/// A decided unlock is a claim until the broker reports its delivery: only a delivered command
/// uses up the session; a failed one leaves it for a younger frame; nothing is decided twice
/// while a command is in flight.
final class DeliveryTests: XCTestCase {
    typealias C = Cast

    func testClaimNamesTheLockItsSessionsAndTheCaptureDeadline() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        let claim = try XCTUnwrap(d.first?.claims.first)
        XCTAssertEqual(d.first?.claims.count, 1)
        XCTAssertEqual(claim.lock, C.dc006)
        XCTAssertEqual(claim.deadline, at(1) + C.maxDecisionAge)
        XCTAssertEqual(claim.sessions.map(\.source), [.lock(C.dc006)])
        XCTAssertEqual(claim.sessions.map(\.session), e.sessions(of: .lock(C.dc006)).map(\.id))
        XCTAssertEqual(e.counters.unlocks, 0, "decided, not delivered")
        XCTAssertEqual(e.counters.decisions[.unlock], 1)
    }

    func testNoSecondUnlockWhileTheFirstIsInFlight() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        let second = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.2, delivered: false))
        XCTAssertEqual(first.map(\.kind), [.unlock])
        XCTAssertEqual(second.map(\.kind), [.alreadyUnlocked])
        XCTAssertEqual(second.first?.claims, [])
        let session = try XCTUnwrap(e.sessions(of: .lock(C.dc006)).last).id
        XCTAssertEqual(second.first?.verdicts, [LockVerdict(lock: C.dc006, status: .unlockInFlight(session))])
        XCTAssertTrue(second.first?.reason.contains("being delivered") ?? false)
    }

    func testDeliveredUnlockUsesUpTheSession() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        e.deliver(first)
        XCTAssertEqual(e.counters.unlocks, 1)
        XCTAssertEqual(e.openTriggers(now: at(2)).first?.unlockedLocks, [C.dc006])
        let later = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2, delivered: false))
        XCTAssertEqual(later.map(\.kind), [.alreadyUnlocked])
        let session = try XCTUnwrap(e.sessions(of: .lock(C.dc006)).last).id
        XCTAssertEqual(later.first?.verdicts, [LockVerdict(lock: C.dc006, status: .alreadyUnlocked(session))])
    }

    func testFailedUnlockLetsAYoungerFrameOfTheSameSessionTryAgain() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        for claim in first.flatMap(\.claims) { e.unlockFailed(claim) }
        XCTAssertEqual(e.counters.unlocksFailed, 1)
        XCTAssertEqual(e.counters.unlocks, 0)
        XCTAssertEqual(e.openTriggers(now: at(2)).first?.unlockedLocks, [], "not marked unlocked")
        let retry = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2, delivered: false))
        XCTAssertEqual(retry.map(\.kind), [.unlock])
        XCTAssertEqual(retry.first?.claims.first?.deadline, at(2) + C.maxDecisionAge, "the younger frame's own deadline")
    }

    func testAStaleFrameCannotRetryAFailedUnlock() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let old = try XCTUnwrap(e.capture(at: 1).txn)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.5, delivered: false))
        for claim in first.flatMap(\.claims) { e.unlockFailed(claim) }
        let late = e.resultArrived(txn: old, faces: [C.face(C.obamaShown)], now: at(1 + C.maxDecisionAge.seconds + 0.5),
                                   gallery: C.gallery)
        XCTAssertEqual(late.map(\.kind), [.stale])
        XCTAssertEqual(late.first?.claims, [])
    }

    func testTouchAndMotionClaimBothSessionsAndDeliveryMarksBoth() throws {
        let motion = EngineConfiguration.Motion(locks: [C.dc006], motionMax: .seconds(30))
        var e = C.engine(C.configuration(motion: motion))
        e.touch(C.dc006, 0)
        e.motion(camera: C.camA, active: true, at: at(0.5))
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        let claim = try XCTUnwrap(d.first?.claims.first)
        XCTAssertEqual(Set(claim.sessions.map(\.source)), [.lock(C.dc006), .motion(C.camA)])
        e.unlockDelivered(claim)
        // The touch ends; motion lingers: its session must not open the door a second time.
        e.release(C.dc006, 2)
        let again = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 3))
        XCTAssertEqual(again.map(\.kind), [.alreadyUnlocked])
    }

    func testOutcomeForAForgottenSessionIsHarmless() throws {
        var e = C.engine(C.configuration(sessionHistoryLimit: 1))
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        e.release(C.dc006, 1.5)
        e.touch(C.dc006, 2) // the limit drops the first session
        e.deliver(d)
        XCTAssertEqual(e.counters.unlocks, 1)
        let fresh = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2.5))
        XCTAssertEqual(fresh.map(\.kind), [.unlock], "a new touch opens a new session")
    }

    // MARK: Confirmations

    func testConfirmationWithinTheWindowAfterThePublishOnly() {
        var c = LockConfirmations<Int>()
        c.expect(1, lock: C.dc006, publishedAt: at(10), timeout: .seconds(5))
        c.expect(2, lock: C.dc001, publishedAt: at(10), timeout: .seconds(5))
        XCTAssertEqual(c.unlockedReported(lock: C.dc006, at: at(9)), [], "a report from before the publish")
        XCTAssertEqual(c.unlockedReported(lock: C.dc006, at: at(11)), [1])
        XCTAssertEqual(c.unlockedReported(lock: C.dc006, at: at(12)), [], "confirmed once")
        XCTAssertEqual(c.expire(now: at(15)), [], "the window is inclusive")
        XCTAssertEqual(c.expire(now: at(15.001)), [2])
        XCTAssertEqual(c.count, 0)
        XCTAssertEqual(c.unlockedReported(lock: C.dc001, at: at(15.5)), [], "too late to confirm")
    }

    func testOneReportConfirmsEveryCommandWaitingOnThatLock() {
        var c = LockConfirmations<Int>()
        c.expect(1, lock: C.dc006, publishedAt: at(1), timeout: .seconds(5))
        c.expect(2, lock: C.dc006, publishedAt: at(2), timeout: .seconds(5))
        c.expect(3, lock: C.dc006, publishedAt: at(4), timeout: .seconds(5))
        XCTAssertEqual(c.unlockedReported(lock: C.dc006, at: at(3)), [1, 2])
        XCTAssertEqual(c.expire(now: at(20)), [3])
    }
}

/// A result from a recognizer that was not given the txn names the txn it claimed.
final class WrongRecognizerTests: XCTestCase {
    typealias C = Cast

    func testResultFromTheWrongRecognizerIsUnknownTxnNamingTheClaimAndLeavesThePendingFrame() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let txn = try XCTUnwrap(e.capture(at: 1).txn)
        let d = e.resultFromWrongRecognizer(claimed: txn, faces: [C.face(C.obamaShown)], now: at(1.2), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.unknownTxn])
        XCTAssertEqual(d.first?.txn, txn)
        XCTAssertEqual(d.first?.claims, [])
        XCTAssertTrue(d.first?.reason.contains("txn \(txn) was not given to the recognizer that answered it") ?? false,
                      d.first?.reason ?? "")
        XCTAssertEqual(e.pendingTxnCount, 1, "the real recognizer may still answer")
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.3), gallery: C.gallery).map(\.kind), [.unlock])
    }
}
