import BrokerCore
import Vocabulary
import XCTest

/// `EngineCounters.decisionsByLock`: each decision counted once for every lock it concerned.
final class DecisionTallyTests: XCTestCase {
    typealias C = Cast

    func testAnUnlockCountsForTheLockItJudged() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d.map(\.kind), [.unlock])
        XCTAssertEqual(e.counters.decisionsByLock, [DecisionTally(kind: .unlock, lock: "DC006"): 1])
    }

    func testADenialBeforeAnyVerdictCountsForTheTouchedLocks() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.strangerShown)], capturedAt: 1))
        XCTAssertEqual(d.map(\.kind), [.unknownFace])
        XCTAssertEqual(e.counters.decisionsByLock, [DecisionTally(kind: .unknownFace, lock: "DC001"): 1,
                                                    DecisionTally(kind: .unknownFace, lock: "DC006"): 1])
        XCTAssertEqual(e.counters.decisions, [.unknownFace: 1], "one decision, however many locks it concerned")
    }

    func testADecisionAboutNoLockHasAnEmptyLock() {
        var e = C.engine()
        let d = e.resultArrived(txn: DetectingTxn(0xdead_beef), faces: [C.face(C.obamaShown)], now: at(1), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.unknownTxn])
        XCTAssertEqual(e.counters.decisionsByLock, [DecisionTally(kind: .unknownTxn, lock: ""): 1])
    }
}
