import BrokerCore
import Foundation
import ProcessSupport
import TestSupport
import XCTest

/// The change-skip on the real processes: a camera that keeps showing the same picture is
/// recognized once per touch, and the first frame after each touch is always recognized.
final class ChangeSkipScenarioTests: ScenarioCase {
    private func skippedUnchanged(_ p: Pipeline) -> Int {
        ((p.brokerStatus()?["counters"] as? [String: Any])?["frames_skipped"] as? [String: Any])?["unchanged"] as? Int ?? 0
    }

    /// lin-manuel-miranda (not enrolled) stands still in front of cam-a. DC001 touched →
    /// judged, then the same picture is skipped (counted, never audited); released, touched
    /// again → a new session, whose first frame is judged again: a second unknown_face row,
    /// captured after the second touch.
    func testStillPictureIsJudgedOncePerTouchAndFirstFrameAfterATouchAlways() throws {
        let p = try makePipeline { $0.changeSkip = 6 }
        try p.show("lin-manuel-miranda.png", waitForFrame: true)
        try p.touch("DC001")
        waitForDecision(p, .unknownFace)
        XCTAssertTrue(waitUntil(timeout: 30) { self.skippedUnchanged(p) >= 3 }, "no frame skipped as unchanged\n\(p.dump())")
        let firstSession = audit(p)
        XCTAssertFalse(firstSession.isEmpty)
        XCTAssertTrue(firstSession.allSatisfy { $0.kind == .unknownFace }, auditText(p))
        // Every admitted frame is judged and audited; the skipped ones are neither.
        XCTAssertEqual(firstSession.count, framesAdmitted(p), auditText(p))
        let skipped = skippedUnchanged(p)
        XCTAssertGreaterThan(framesReceived(p), framesAdmitted(p) + skipped - 1)

        try p.release("DC001")
        let touched = MonotonicClock.nowNanoseconds()
        try p.touch("DC001")
        let rows = waitForDecision(p, .unknownFace, count: firstSession.count + 1, timeout: 20)
        let second = rows.filter { ($0.captureMonotonicNs ?? 0) > touched }
        XCTAssertFalse(second.isEmpty, "the first frame after the second touch was not judged\n\(auditText(p))")
        XCTAssertNotEqual(try second.first?.snapshot()?.lockSessions, try firstSession.first?.snapshot()?.lockSessions)
        XCTAssertTrue(waitUntil(timeout: 30) { self.skippedUnchanged(p) > skipped }, "the second session's repeats were not skipped")
        assertOneAuditRowPerDecision(p)
    }
}
