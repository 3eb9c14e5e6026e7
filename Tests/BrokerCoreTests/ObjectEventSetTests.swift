import BrokerCore
import XCTest

final class ObjectEventSetTests: XCTestCase {
    private func t(_ s: Double) -> MonotonicInstant { .seconds(s) }

    /// Two overlapping people: motion stays on until the last one's event ends.
    func testOverlappingEventsKeepMotionUntilTheLastEnds() {
        var events = ObjectEventSet(staleAfter: .seconds(30))
        XCTAssertEqual(events.update(id: "a", counts: true, at: t(1)), .activate)
        XCTAssertEqual(events.update(id: "b", counts: true, at: t(2)), .activate)
        XCTAssertEqual(events.update(id: "a", counts: false, at: t(3)), .none, "b is still open")
        XCTAssertEqual(events.open, ["b"])
        XCTAssertEqual(events.update(id: "a", counts: false, at: t(4)), .none, "a second end of a changes nothing")
        XCTAssertEqual(events.update(id: "b", counts: true, at: t(5)), .activate, "an update refreshes")
        XCTAssertEqual(events.update(id: "b", counts: false, at: t(6)), .deactivate)
        XCTAssertEqual(events.update(id: "zzz", counts: false, at: t(7)), .none, "the end of an event never seen")
    }

    /// An event whose end is lost stops counting staleAfter after its last update.
    func testStaleEventsExpire() {
        var events = ObjectEventSet(staleAfter: .seconds(10))
        _ = events.update(id: "a", counts: true, at: t(0))
        _ = events.update(id: "b", counts: true, at: t(5))
        XCTAssertEqual(events.expire(now: t(9.9)), .none)
        XCTAssertEqual(events.expire(now: t(10)), .none, "a is stale, b is not")
        XCTAssertEqual(events.open, ["b"])
        XCTAssertEqual(events.expire(now: t(15)), .deactivate)
        XCTAssertEqual(events.expire(now: t(16)), .none, "nothing left to close")
        // A message for another event that finds the last one stale closes too.
        _ = events.update(id: "c", counts: true, at: t(20))
        XCTAssertEqual(events.update(id: "d", counts: false, at: t(31)), .deactivate)
        _ = events.update(id: "e", counts: true, at: t(40))
        events.reset()
        XCTAssertEqual(events.open, [])
    }
}
