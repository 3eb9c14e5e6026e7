import BrokerCore
import XCTest
import Vocabulary

/// SCENARIOS.md at the domain level: the same scripts, driven straight into the engine.
final class ScenarioTests: XCTestCase {
    typealias C = Cast

    func testS1SingleTouchUnlocksThatLock() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2))
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d[0].kind, .unlock)
        XCTAssertEqual(d[0].unlockedLocks, [C.dc006])
        XCTAssertEqual(d[0].member?.name, "obama")
        XCTAssertEqual(d[0].distance ?? 0, 0.3, accuracy: 1e-6)
        XCTAssertEqual(d[0].snapshot?.lockSessions.map(\.lock), [C.dc006])
        XCTAssertEqual(d[0].camera, C.camA)
        XCTAssertTrue(d[0].reason.contains("unlocked DC006"), d[0].reason)
    }

    func testS2NoGrantUnlocksNothing() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.bidenShown)], capturedAt: 2))
        XCTAssertEqual(d.map(\.kind), [.noGrant])
        XCTAssertEqual(d[0].unlockedLocks, [])
        XCTAssertEqual(d[0].member?.name, "biden")
        XCTAssertTrue(d[0].reason.contains("DC006: no grant"), d[0].reason)
    }

    func testS3StrangerIsUnknownFace() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        let d = try XCTUnwrap(e.show([C.face(C.strangerShown)], capturedAt: 2))
        XCTAssertEqual(d.map(\.kind), [.unknownFace])
        XCTAssertNil(d[0].member)
        XCTAssertEqual(d[0].unlockedLocks, [])
        XCTAssertTrue(d[0].reason.contains("no member within match_threshold"), d[0].reason)
    }

    func testS4NoTriggerSendsNothingToRecognize() {
        var e = C.engine()
        for t in stride(from: 2.0, through: 6.0, by: 0.5) {
            XCTAssertEqual(e.capture(at: t), .skip(.nothingTriggered))
        }
        XCTAssertEqual(e.counters.framesSkipped[.nothingTriggered], 9)
        XCTAssertEqual(e.pendingTxnCount, 0)
    }

    func testS5StaleContextExpiresAfterOccupancyMax() {
        var e = C.engine()
        e.touch(C.dc001, 0) // its false is lost
        XCTAssertEqual(e.capture(at: C.occupancyMax.seconds + 1), .skip(.nothingTriggered))
        // The session really ended at occupancy_max, not later.
        XCTAssertFalse(e.snapshot(camera: C.camA, at: at(C.occupancyMax.seconds))!.lockSessions.contains { $0.lock == C.dc001 })
        XCTAssertTrue(e.snapshot(camera: C.camA, at: at(C.occupancyMax.seconds - 0.001))!.lockSessions.contains { $0.lock == C.dc001 })
    }

    /// The seed's Test 9, the timeline of the bug report: the decision uses the context of the
    /// frame's capture time, not the (empty) context when the result is processed.
    func testS6OneLeavesUnlocksOnlyTheLockOpenAtCapture() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 6)
        e.release(C.dc001, 10)
        guard case let .detect(txn, snapshot) = e.capture(at: 13) else { return XCTFail("frame at 13 not admitted") }
        XCTAssertEqual(snapshot.lockSessions.map(\.lock), [C.dc006])
        e.release(C.dc006, 15) // recognizer stalled from 13.1 to 17
        XCTAssertTrue(e.snapshot(camera: C.camA, at: at(17))!.isEmpty,
                      "the context at processing time is empty: reading it then was the bug")
        let d = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(17), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.unlock])
        XCTAssertEqual(d[0].unlockedLocks, [C.dc006])
        XCTAssertEqual(d[0].snapshot?.lockSessions.map(\.lock), [C.dc006])
        e.deliver(d)
        XCTAssertEqual(e.counters.unlocks, 1)
    }

    func testS7BothGoneUnlocksNothing() {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.release(C.dc001, 10)
        XCTAssertNil(e.show([C.face(C.obamaShown)], capturedAt: 12))
        XCTAssertEqual(e.counters.unlocks, 0)
    }

    func testS8TwoOpenSessionsUnlockBoth() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 1)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2))
        XCTAssertEqual(d.map(\.kind), [.unlock])
        XCTAssertEqual(d[0].unlockedLocks, [C.dc001, C.dc006])
    }

    func testS8WithZonesOnlyTheLockWhoseZoneHoldsTheFace() throws {
        let zones: [LockID: NormalizedRect] = [
            C.dc001: try NormalizedRect(minX: 0, minY: 0, maxX: 0.5, maxY: 1),
            C.dc006: try NormalizedRect(minX: 0.5, minY: 0, maxX: 1, maxY: 1),
        ]
        var e = C.engine(C.configuration(zones: zones))
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 1)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown, x: 0.75, y: 0.4)], capturedAt: 2))
        XCTAssertEqual(d.map(\.kind), [.unlock])
        XCTAssertEqual(d[0].unlockedLocks, [C.dc006])
        XCTAssertEqual(d[0].verdicts, [LockVerdict(lock: C.dc001, status: .outsideZone),
                                       LockVerdict(lock: C.dc006, status: .unlocked)])
        XCTAssertTrue(d[0].reason.contains("DC001: face outside the lock's zone"), d[0].reason)
        // DC001's session is still unused: the face moving into DC001's zone opens it.
        let d2 = try XCTUnwrap(e.show([C.face(C.obamaShown, x: 0.25, y: 0.4)], capturedAt: 3))
        XCTAssertEqual(d2[0].unlockedLocks, [C.dc001])
    }

    func testS9ManyMatchingFramesUnlockOnce() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        var kinds: [DecisionKind] = []
        // Full frame rate, with results pipelined (several frames in flight at once).
        var inFlight: [DetectingTxn] = []
        for i in 0..<120 {
            let t = 1 + Double(i) / 30
            if case let .detect(txn, _) = e.capture(at: t) { inFlight.append(txn) }
            if inFlight.count > 3 {
                let txn = inFlight.removeFirst()
                let decisions = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(t + 0.03), gallery: C.gallery)
                e.deliver(decisions)
                kinds += decisions.map(\.kind)
            }
        }
        for txn in inFlight {
            let decisions = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(5.2), gallery: C.gallery)
            e.deliver(decisions)
            kinds += decisions.map(\.kind)
        }
        XCTAssertEqual(kinds.filter { $0 == .unlock }.count, 1)
        XCTAssertEqual(kinds.filter { $0 == .alreadyUnlocked }.count, 119)
        XCTAssertEqual(e.counters.unlocks, 1)
    }

    func testS9RepeatedTrueKeepsTheSessionSoStillOnce() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))[0].kind, .unlock)
        e.touch(C.dc006, 3) // the lock repeats its true while the keypad is held
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 4))
        XCTAssertEqual(d[0].kind, .alreadyUnlocked)
        XCTAssertTrue(d[0].reason.contains("already unlocked in session"), d[0].reason)
    }

    func testS10TouchAgainUnlocksAgain() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2))
        e.release(C.dc006, 10)
        e.touch(C.dc006, 20)
        let second = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 22))
        XCTAssertEqual(first[0].unlockedLocks, [C.dc006])
        XCTAssertEqual(second[0].unlockedLocks, [C.dc006])
        XCTAssertNotEqual(first[0].snapshot?.lockSessions.first?.session, second[0].snapshot?.lockSessions.first?.session)
        XCTAssertEqual(e.counters.unlocks, 2)
    }

    func testS11MotionTriggerOpensOnlyTheMotionLocks() throws {
        var e = C.engine(C.configuration(motion: .init(locks: [C.dc001], motionMax: .seconds(30))))
        e.motion(camera: C.camA, active: true, at: at(0))
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d[0].unlockedLocks, [C.dc001])
        XCTAssertEqual(d[0].snapshot?.motion?.locks, [C.dc001])

        var none = C.engine(C.configuration(motion: .init(locks: [], motionMax: .seconds(30))))
        none.motion(camera: C.camA, active: true, at: at(0))
        XCTAssertEqual(none.capture(at: 1), .skip(.nothingTriggered))
    }

    func testS14RetainedTrueNeverOpensASession() {
        var e = C.engine()
        XCTAssertEqual(e.occupancy(lock: C.dc001, occupied: true, at: at(0), retained: true), .ignoredRetained)
        XCTAssertNil(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(e.counters.retainedIgnored, 1)
        XCTAssertEqual(e.counters.sessionsOpened, 0)
    }

    func testS17TwoFacesOneDecisionEach() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown, x: 0.3), C.face(C.strangerShown, x: 0.7)], capturedAt: 2))
        XCTAssertEqual(d.map(\.kind), [.unlock, .unknownFace])
        XCTAssertEqual(d.map(\.faceIndex), [0, 1])
        XCTAssertEqual(d[0].unlockedLocks, [C.dc001])
        XCTAssertEqual(d[1].unlockedLocks, [])
        XCTAssertEqual(d[1].txn, d[0].txn)
    }

    func testS18AmbiguousMembersUnlockNothing() throws {
        let twin = Gallery.Member(id: MemberID(3), name: "barack", descriptors: [C.vector([(0, 0.5), (7, 0.02)])],
                                  grants: [C.dc001, C.dc006])
        let gallery = Gallery(members: [C.obama, twin, C.biden])
        var e = C.engine()
        e.touch(C.dc001, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2, gallery: gallery))
        XCTAssertEqual(d.map(\.kind), [.ambiguous])
        XCTAssertNil(d[0].member)
        XCTAssertEqual(d[0].unlockedLocks, [])
        XCTAssertTrue(d[0].reason.contains("obama") && d[0].reason.contains("barack"), d[0].reason)
    }

    func testS20TooLateIsStale() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let late = 1 + C.maxDecisionAge.seconds + 1
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, decidedAt: late))
        XCTAssertEqual(d.map(\.kind), [.stale])
        XCTAssertEqual(d[0].unlockedLocks, [])
        XCTAssertEqual(d[0].member?.name, "obama", "the audit still says who it was")
        XCTAssertTrue(d[0].reason.contains("max_decision_age"), d[0].reason)
    }
}
