@testable import BrokerCore
import XCTest

/// Sessions of one trigger: open, refresh, close, expiry, retained messages, history.
final class TriggerTimelineTests: XCTestCase {
    typealias C = Cast

    private func sessions(_ e: DecisionEngine, _ lock: LockID = Cast.dc001) -> [TriggerSession] {
        e.sessions(of: .lock(lock))
    }

    private func openLock(_ e: DecisionEngine, at t: Double, _ lock: LockID = Cast.dc001) -> SessionID? {
        e.snapshot(camera: C.camA, at: at(t))!.lockSessions.first { $0.lock == lock }?.session
    }

    func testTrueOpensFalseClosesHalfOpenInterval() {
        var e = C.engine()
        guard case let .opened(id, nil) = e.occupancy(lock: C.dc001, occupied: true, at: at(1)) else { return XCTFail() }
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: false, at: at(4)), .closed(id))
        XCTAssertNil(openLock(e, at: 0.999))
        XCTAssertEqual(openLock(e, at: 1), id, "start is inside")
        XCTAssertEqual(openLock(e, at: 3.999), id)
        XCTAssertNil(openLock(e, at: 4), "end is outside")
        let s = sessions(e)[0]
        XCTAssertEqual(s.start, at(1))
        XCTAssertEqual(s.end, at(4))
        XCTAssertEqual(s.endCause, .deactivated)
    }

    func testRefreshKeepsTheSessionAndMovesTheDeadline() {
        var e = C.engine()
        guard case let .opened(id, _) = e.occupancy(lock: C.dc001, occupied: true, at: at(0)) else { return XCTFail() }
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: true, at: at(10)), .refreshed(id))
        XCTAssertEqual(sessions(e).count, 1)
        XCTAssertEqual(sessions(e).first?.deadline, at(10 + C.occupancyMax.seconds))
        // Without the refresh it would have ended at 12; now it is open until 22.
        XCTAssertEqual(openLock(e, at: 21.9), id)
        XCTAssertNil(openLock(e, at: 22))
        // The refresh did not change the past: still open at 5.
        XCTAssertEqual(openLock(e, at: 5), id)
    }

    func testMissingFalseExpiresAtLastRefreshPlusMax() {
        var e = C.engine()
        guard case let .opened(first, _) = e.occupancy(lock: C.dc001, occupied: true, at: at(0)) else { return XCTFail() }
        // Next true after the deadline: the old session ended at its deadline, a new one opens.
        guard case let .opened(second, replaced) = e.occupancy(lock: C.dc001, occupied: true, at: at(20)) else {
            return XCTFail()
        }
        XCTAssertEqual(replaced, first)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(sessions(e).first?.end, at(12))
        XCTAssertEqual(sessions(e).first?.endCause, .expired)
        XCTAssertNil(openLock(e, at: 15))
        XCTAssertEqual(e.counters.sessionsExpired, 1)
    }

    func testFalseAfterExpiryIsReportedAndDoesNotMoveTheEnd() {
        var e = C.engine()
        guard case let .opened(id, _) = e.occupancy(lock: C.dc001, occupied: true, at: at(0)) else { return XCTFail() }
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: false, at: at(15)), .alreadyExpired(id))
        XCTAssertEqual(sessions(e).first?.end, at(12))
        XCTAssertEqual(sessions(e).first?.endCause, .expired)
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: false, at: at(16)), .ignoredNotOpen)
    }

    func testFalseWithoutSessionIsIgnored() {
        var e = C.engine()
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: false, at: at(0)), .ignoredNotOpen)
        XCTAssertTrue(sessions(e).isEmpty)
    }

    func testRetainedTrueNeitherOpensNorRefreshes() {
        var e = C.engine()
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: true, at: at(0), retained: true), .ignoredRetained)
        XCTAssertTrue(sessions(e).isEmpty)
        guard case let .opened(id, _) = e.occupancy(lock: C.dc001, occupied: true, at: at(1)) else { return XCTFail() }
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: true, at: at(11), retained: true), .ignoredRetained)
        XCTAssertEqual(sessions(e).first?.deadline, at(13), "a retained true must not extend the session")
        XCTAssertEqual(openLock(e, at: 12.9), id)
    }

    func testRetainedFalseStillCloses() {
        var e = C.engine()
        guard case let .opened(id, _) = e.occupancy(lock: C.dc001, occupied: true, at: at(0)) else { return XCTFail() }
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: false, at: at(2), retained: true), .closed(id))
    }

    func testUnknownLockAndCameraWithoutMotionAreIgnored() {
        var e = C.engine()
        XCTAssertEqual(e.occupancy(lock: "DC999", occupied: true, at: at(0)), .unknownTrigger)
        XCTAssertEqual(e.motion(camera: C.camA, active: true, at: at(0)), .unknownTrigger)
        XCTAssertEqual(e.counters.unknownTriggerEvents, 2)
    }

    func testEarlierTimestampIsClampedSoThePastNeverChanges() {
        var e = C.engine()
        e.touch(C.dc001, 0)
        guard case let .detect(_, snapshot) = e.capture(at: 5) else { return XCTFail() }
        XCTAssertEqual(snapshot.lockSessions.map(\.lock), [C.dc001])
        // A false stamped before the frame's capture, delivered late: it cannot reach back.
        e.release(C.dc001, 3)
        XCTAssertEqual(e.counters.clampedInstants, 1)
        XCTAssertEqual(sessions(e).first?.end, at(5.02))
        XCTAssertEqual(e.snapshot(camera: C.camA, at: at(5)), snapshot)
    }

    func testMotionTimelineFollowsTheSameRules() {
        var e = C.engine(C.configuration(motion: .init(locks: [C.dc001], motionMax: .seconds(6))))
        guard case let .opened(id, _) = e.motion(camera: C.camA, active: true, at: at(0)) else { return XCTFail() }
        XCTAssertEqual(e.motion(camera: C.camA, active: true, at: at(4)), .refreshed(id))
        XCTAssertEqual(e.snapshot(camera: C.camA, at: at(9.9))?.motion?.session, id)
        XCTAssertNil(e.snapshot(camera: C.camA, at: at(10))?.motion, "motion_max after the last on")
        XCTAssertEqual(e.motion(camera: C.camA, active: true, at: at(11), retained: true), .ignoredRetained)
        guard case .opened = e.motion(camera: C.camA, active: true, at: at(12)) else { return XCTFail() }
        guard case .closed = e.motion(camera: C.camA, active: false, at: at(13)) else { return XCTFail() }
    }

    func testCloseAllTriggersEndsEverythingOpen() {
        var e = C.engine(C.configuration(motion: .init(locks: [C.dc001], motionMax: .seconds(6))))
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 1)
        e.motion(camera: C.camA, active: true, at: at(1))
        let closed = e.closeAllTriggers(at: at(2))
        XCTAssertEqual(closed.map(\.source), [.lock(C.dc001), .lock(C.dc006), .motion(C.camA)])
        XCTAssertTrue(e.openTriggers(now: at(2)).isEmpty)
        XCTAssertEqual(sessions(e).first?.endCause, .reset)
        XCTAssertEqual(e.capture(at: 3), .skip(.nothingTriggered))
    }

    func testOpenTriggersForStatus() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let open = e.openTriggers(now: at(1))
        XCTAssertEqual(open.count, 1)
        XCTAssertEqual(open[0].source, .lock(C.dc006))
        XCTAssertEqual(open[0].since, at(0))
        XCTAssertEqual(open[0].deadline, at(12))
        XCTAssertEqual(open[0].unlockedLocks, [])
        _ = e.show([C.face(C.obamaShown)], capturedAt: 1)
        XCTAssertEqual(e.openTriggers(now: at(2))[0].unlockedLocks, [C.dc006])
    }

    func testHistoryIsKeptForMaxDecisionAgePlusMarginThenPruned() {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.release(C.dc001, 1)
        // retention = max_decision_age 8 s + margin 2 s: kept while now < 1 + 10.
        e.housekeeping(now: at(10.9))
        XCTAssertEqual(sessions(e).count, 1)
        XCTAssertNotNil(e.snapshot(camera: C.camA, at: at(0.5))?.lockSessions.first)
        e.housekeeping(now: at(11))
        XCTAssertEqual(sessions(e).count, 0)
        XCTAssertEqual(e.counters.sessionsForgotten, 0, "ageing out is not forgetting")
    }

    func testOpenSessionIsNeverPrunedWhileOpen() {
        var e = C.engine()
        e.touch(C.dc001, 0)
        for t in stride(from: 1.0, through: 60.0, by: 5) { e.touch(C.dc001, t) } // refreshed all along
        e.housekeeping(now: at(61))
        XCTAssertEqual(sessions(e).count, 1)
        XCTAssertEqual(sessions(e).first?.start, at(0))
    }

    func testFlappingSensorIsBoundedByHistoryLimit() {
        var e = C.engine(C.configuration(sessionHistoryLimit: 4))
        for i in 0..<10 {
            e.touch(C.dc001, Double(i) * 0.1)
            e.release(C.dc001, Double(i) * 0.1 + 0.05)
        }
        XCTAssertEqual(sessions(e).count, 4)
        XCTAssertEqual(e.counters.sessionsForgotten, 6)
        XCTAssertEqual(e.counters.sessionsOpened, 10)
    }

    func testTimelineDirectlyIgnoresNothingItShouldNot() {
        // The timeline type on its own: zero-length sessions are never open.
        var ids = IDAllocator(prefix: BootPrefix(1))
        var tl = TriggerTimeline(maxOpen: .seconds(10), historyLimit: 8)
        _ = tl.activate(at: at(1), retained: false, ids: &ids)
        _ = tl.deactivate(at: at(1), cause: .deactivated)
        XCTAssertNil(tl.session(openAt: at(1)))
        guard case let .opened(id, nil) = tl.activate(at: at(1), retained: false, ids: &ids) else { return XCTFail() }
        XCTAssertEqual(tl.session(openAt: at(1))?.id, id, "a new session at the same instant is open there")
    }
}
