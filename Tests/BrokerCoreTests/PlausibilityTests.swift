import BrokerCore
import XCTest

/// Whatever the bus says: a lock is not unlocked again within `min_unlock_interval`, and a
/// trigger flood suspends the lock's sessions until it is quiet again.
final class PlausibilityTests: XCTestCase {
    typealias C = Cast

    private func configuration(minUnlockInterval: Double = 10,
                               limit: EngineConfiguration.TriggerLimit? = nil) -> EngineConfiguration {
        var config = C.configuration()
        config.locks = config.locks.map {
            EngineConfiguration.Lock(id: $0.id, occupancyMax: $0.occupancyMax, minUnlockInterval: .seconds(minUnlockInterval),
                                     triggerLimit: limit)
        }
        return config
    }

    func testANewSessionRightAfterAnUnlockDoesNotUnlockAgain() throws {
        var e = C.engine(configuration())
        e.touch(C.dc006, 0)
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 1)?.map(\.kind), [.unlock])
        e.release(C.dc006, 1.5)
        e.touch(C.dc006, 2)
        let soon = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 3))
        XCTAssertEqual(soon.map(\.kind), [.tooSoon])
        XCTAssertEqual(soon.first?.verdicts, [LockVerdict(lock: C.dc006, status: .tooSoon(since: at(1.3)))])
        XCTAssertTrue(soon.first?.reason.contains("min_unlock_interval") ?? false)
        // Ten seconds after the first unlock was decided, the same session may open it.
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 11.0, decidedAt: 11.31)?.map(\.kind), [.unlock])
    }

    func testTheIntervalIsPerLock() throws {
        var e = C.engine(configuration())
        e.touch(C.dc006, 0)
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 1)?.first?.unlockedLocks, [C.dc006])
        e.touch(C.dc001, 2)
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 3)?.first?.unlockedLocks, [C.dc001])
    }

    func testAFailedUnlockDoesNotStartTheInterval() throws {
        var e = C.engine(configuration())
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, delivered: false))
        for claim in first.flatMap(\.claims) { e.unlockFailed(claim) }
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 2)?.map(\.kind), [.unlock], "the door did not open")
    }

    func testAFloodSuspendsTheLockAndAQuietPeriodReleasesIt() throws {
        let limit = EngineConfiguration.TriggerLimit(burst: 5, window: .seconds(10), quiet: .seconds(30))
        var e = C.engine(configuration(minUnlockInterval: 0, limit: limit))
        var changes: [TriggerChange] = []
        for i in 0..<5 { changes.append(e.occupancy(lock: C.dc006, occupied: true, at: at(Double(i) * 0.1))) }
        XCTAssertTrue(changes.allSatisfy { if case .suspended = $0 { false } else { true } }, "\(changes)")
        let open = try XCTUnwrap(e.sessions(of: .lock(C.dc006)).last)
        XCTAssertEqual(e.occupancy(lock: C.dc006, occupied: true, at: at(0.6)), .suspended(closed: open.id, started: true))
        XCTAssertEqual(e.sessions(of: .lock(C.dc006)).last?.endCause, .suspended)
        XCTAssertTrue(e.isSuspended(C.dc006, now: at(1)))
        XCTAssertEqual(e.counters.triggerSuspensions, 1)
        // The flood goes on: no session opens, one suspension counted.
        for i in 0..<50 {
            e.occupancy(lock: C.dc006, occupied: i % 2 == 0, at: at(1 + Double(i) * 0.01))
        }
        XCTAssertEqual(e.occupancy(lock: C.dc006, occupied: true, at: at(2)), .suspended(closed: nil, started: false))
        XCTAssertNil(e.show([C.face(C.obamaShown)], capturedAt: 3), "no session: the frame is not even recognized")
        XCTAssertEqual(e.counters.triggerSuspensions, 1)
        // DC001 is not affected.
        e.touch(C.dc001, 3)
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 4)?.first?.unlockedLocks, [C.dc001])
        // Quiet for 30 s after the last activation (@2): released, and a touch opens again.
        XCTAssertEqual(e.housekeeping(now: at(31.9)), [])
        XCTAssertEqual(e.housekeeping(now: at(32)), [C.dc006])
        XCTAssertFalse(e.isSuspended(C.dc006, now: at(32)))
        e.touch(C.dc006, 33)
        XCTAssertEqual(e.show([C.face(C.obamaShown)], capturedAt: 34)?.first?.unlockedLocks, [C.dc006])
    }

    func testActivationsSpreadOverTheWindowAreNotAFlood() {
        let limit = EngineConfiguration.TriggerLimit(burst: 3, window: .seconds(10), quiet: .seconds(30))
        var e = C.engine(configuration(limit: limit))
        for i in 0..<20 {
            let change = e.occupancy(lock: C.dc006, occupied: true, at: at(Double(i) * 3.4))
            if case .suspended = change { return XCTFail("activation \(i) at a keypad's pace suspended the lock") }
        }
        XCTAssertEqual(e.counters.triggerSuspensions, 0)
    }

    func testRetainedActivationsDoNotCountTowardsAFlood() {
        let limit = EngineConfiguration.TriggerLimit(burst: 2, window: .seconds(10), quiet: .seconds(30))
        var e = C.engine(configuration(limit: limit))
        for i in 0..<10 { e.touch(C.dc006, Double(i) * 0.1, retained: true) }
        XCTAssertFalse(e.isSuspended(C.dc006, now: at(1)))
    }
}
