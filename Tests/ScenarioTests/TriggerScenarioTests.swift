import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import XCTest

/// SCENARIOS.md S1-S11, S17, S18 on the real processes: which lock was touched when, which
/// photo the camera showed when, and what the locks received and the audit recorded.
/// Scenario time runs at `PipelineOptions.scale` real seconds per second (0.5).
final class TriggerScenarioTests: ScenarioCase {
    /// S1: DC006 true @0; obama shown @2 → unlocks DC006.
    func testS1SingleTouch() throws {
        let p = try makePipeline()
        try playS1(p)
        let rows = audit(p)
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.member?.name, "obama")
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        XCTAssertEqual(try unlock.snapshot()?.triggeredLocks, ["DC006"])
        XCTAssertLessThan(unlock.distance ?? 1, 0.5)
        XCTAssertGreaterThanOrEqual(p.scenarioTime(unlock.captureMonotonicNs ?? 0), 2, "captured after the photo was shown")
        // Frames after the unlock in the same session: already unlocked, nothing else.
        XCTAssertEqual(Set(rows.map(\.kind)).subtracting([.unlock, .alreadyUnlocked]), [], auditText(p))
    }

    /// S2: DC006 true @0; biden shown @2 → nothing; audit: no grant for DC006.
    func testS2NoGrant() throws {
        let p = try makePipeline()
        try touchAndShow(p, photo: "biden2.jpg", expect: .noGrant)
        assertSettledUnlocks(p, [:])
        let rows = audit(p)
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            XCTAssertEqual(row.kind, .noGrant, auditText(p))
            XCTAssertEqual(row.member?.name, "biden")
            XCTAssertTrue(row.reason.contains("DC006: no grant"), row.reason)
            XCTAssertEqual(try row.snapshot()?.triggeredLocks, ["DC006"])
        }
    }

    /// S3: DC001 true @0; lin-manuel-miranda (not enrolled) shown @2 → nothing; audit: unknown face.
    func testS3Stranger() throws {
        let p = try makePipeline()
        try touchAndShow(p, lock: "DC001", photo: "lin-manuel-miranda.png", expect: .unknownFace)
        assertSettledUnlocks(p, [:])
        let rows = audit(p)
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            XCTAssertEqual(row.kind, .unknownFace, auditText(p))
            XCTAssertNil(row.member)
            XCTAssertTrue(row.reason.contains("unknown face"), row.reason)
        }
    }

    /// S4: no touch; obama shown @2..@6 → no frame reaches a recognizer; nothing unlocked.
    func testS4NoTrigger() throws {
        let p = try makePipeline()
        p.at(2)
        try p.show("obama2.jpg")
        p.at(6)
        XCTAssertTrue(waitForFrames(p, atLeast: 3), "the camera's frames never reached the broker\n\(p.dump())")
        p.hide()
        assertSettledUnlocks(p, [:])
        XCTAssertGreaterThanOrEqual(framesReceived(p), 3)
        XCTAssertEqual(framesAdmitted(p), 0)
        XCTAssertEqual(p.brokerLines("msg=\"detect sent\"").count, 0)
        XCTAssertEqual(p.lines(of: "recognizer-", "msg=\"frame answered\"").count, 0, "a frame reached a recognizer")
        XCTAssertEqual(audit(p).count, 0)
    }

    /// S5: DC001 true @0 and its false is lost; obama shown @(occupancy_max + 1) → nothing.
    func testS5StaleContext() throws {
        let p = try makePipeline()
        try p.touch("DC001")
        try p.loseFalse("DC001")
        // Scenario time from the broker's receipt of the touch: its session ends at
        // occupancy_max from there at the latest.
        p.begin()
        p.at(p.options.occupancyMax + 1)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: 4), p.dump())
        assertSettledUnlocks(p, [:])
        XCTAssertEqual(p.lockEvents.filter { $0.event == "occupancy" && $0.lock == "DC001" && $0.occupancy == false }.count, 0,
                       "the simulator was to lose DC001's false")
        XCTAssertEqual(framesAdmitted(p), 0, "a session without its false must end at occupancy_max")
        XCTAssertEqual(audit(p).count, 0)
    }

    /// S6, the seed's Test 9: DC001 true @0; DC006 true @6; DC001 false @10; frame with obama
    /// captured @13; DC006 false @16; the recognizer holds the frame (SIGSTOP) until @17 → DC006
    /// only, snapshot {DC006}.
    ///
    /// The recognizer is stopped just before the photo appears rather than 0.1 s after: it is
    /// then certain to hold the frame across DC006's false (stopping it after the capture would
    /// race its ~0.3 s of work on the frame).
    ///
    /// max_decision_age is 8 here, not 5: with 5, the recognizer had one scenario second (half
    /// a real one) after SIGCONT @17 to finish the frame captured @13, and a busy machine made
    /// the decision stale. The scenario only needs the decision after DC006's false.
    func testS6OneLeaves() throws {
        let p = try makePipeline { $0.maxDecisionAge = 8 }
        try p.touch("DC001")
        p.at(6)
        try p.touch("DC006")
        XCTAssertTrue(p.waitForRelease("DC001"), p.dump())
        // The capture process takes a moment to produce its first frame: started @12.5, the
        // frame is captured about @13.
        p.at(12.4)
        p.signal(.recognizer("r1"), SIGSTOP)
        p.at(12.5)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForAdmitted(p), p.dump())
        p.hide()
        XCTAssertTrue(p.waitForRelease("DC006"), p.dump())
        p.at(17)
        p.signal(.recognizer("r1"), SIGCONT)
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC006": 1])

        let rows = audit(p)
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        XCTAssertEqual(try unlock.snapshot()?.triggeredLocks, ["DC006"], "DC001's session had ended before the capture")
        for row in rows { XCTAssertEqual(try row.snapshot()?.triggeredLocks, ["DC006"]) }
        // The capture fell between DC001's false and DC006's false, and the decision came
        // after DC006's false: the broker used the context of the capture instant.
        let events = p.lockEvents.filter { $0.event == "occupancy" && $0.occupancy == false }
        let dc001False = try XCTUnwrap(events.first { $0.lock == "DC001" }).monotonicNs
        let dc006False = try XCTUnwrap(events.first { $0.lock == "DC006" }).monotonicNs
        let captured = try XCTUnwrap(unlock.captureMonotonicNs)
        XCTAssertGreaterThan(captured, dc001False)
        XCTAssertLessThan(captured, dc006False)
        let lines = (p.broker?.log ?? "").split(separator: "\n")
        let falseLine = try XCTUnwrap(lines.firstIndex { $0.contains("msg=\"occupancy false\"") && $0.contains("lock=DC006") })
        let unlockLine = try XCTUnwrap(lines.firstIndex { $0.contains("msg=UNLOCK") })
        XCTAssertLessThan(falseLine, unlockLine, "the result was decided after DC006's false arrived")
    }

    /// S7: DC001 true @0, false @10; obama shown @12 → nothing.
    func testS7BothGone() throws {
        let p = try makePipeline()
        try p.touch("DC001")
        XCTAssertTrue(p.waitForRelease("DC001"), p.dump())
        p.at(12)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: 4), p.dump())
        assertSettledUnlocks(p, [:])
        XCTAssertEqual(framesAdmitted(p), 0)
        XCTAssertEqual(audit(p).count, 0)
    }

    /// S8: DC001 true @0; DC006 true @1; obama shown @2 → unlocks DC001 and DC006.
    func testS8TwoOpenSessions() throws {
        let p = try makePipeline()
        try p.touch("DC001")
        p.at(1)
        try p.touch("DC006")
        p.at(2)
        try p.show("obama2.jpg")
        waitForAudit(p) { rows in Set(rows.filter { $0.kind == .unlock }.flatMap(\.unlockedLocks)) == ["DC001", "DC006"] }
        assertSettledUnlocks(p, ["DC001": 1, "DC006": 1])
        let unlocks = audit(p).filter { $0.kind == .unlock }
        XCTAssertEqual(unlocks.flatMap(\.unlockedLocks).sorted(), ["DC001", "DC006"])
        XCTAssertEqual(try unlocks.first?.snapshot()?.triggeredLocks, ["DC001", "DC006"])
    }

    /// S8 with zones: obama's face centre (x ≈ 0.49 of the width) lies in DC006's zone only → DC006 only.
    func testS8ZonesPickTheLockWhoseZoneHoldsTheFace() throws {
        let p = try makePipeline { $0.zones = ["DC001": [0.6, 0, 1, 1], "DC006": [0, 0, 0.6, 1]] }
        try p.touch("DC001")
        p.at(1)
        try p.touch("DC006")
        p.at(2)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC006": 1])
        let rows = audit(p)
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        XCTAssertEqual(try unlock.snapshot()?.triggeredLocks, ["DC001", "DC006"])
        XCTAssertTrue(unlock.reason.contains("DC001: face outside the lock's zone"), unlock.reason)
    }

    /// S9: DC006 true @0; obama shown @1..@5 at the camera's full frame rate → exactly one unlock.
    func testS9ManyMatchingFrames() throws {
        let p = try makePipeline()
        try p.touch("DC006")
        p.at(1)
        try p.show("obama2.jpg")
        p.at(5)
        // At least a few frames decided, so "only one unlock" means something.
        waitForAudit(p) { $0.count >= 3 }
        assertSettledUnlocks(p, ["DC006": 1])
        let rows = audit(p)
        XCTAssertEqual(rows.filter { $0.kind == .unlock }.count, 1)
        XCTAssertGreaterThanOrEqual(rows.filter { $0.kind == .alreadyUnlocked }.count, 2, auditText(p))
        XCTAssertEqual(Set(rows.map(\.kind)), [.unlock, .alreadyUnlocked])
        let sessions = Set(try rows.compactMap { try $0.snapshot()?.lockSessions.first?.session })
        XCTAssertEqual(sessions.count, 1, "one session throughout")
    }

    /// S10: S1, then DC006 false @10, DC006 true @20, obama shown @22 → two unlocks of DC006 in all.
    func testS10TouchAgain() throws {
        let p = try makePipeline()
        try p.touch("DC006")
        p.at(2)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        p.hide()
        XCTAssertTrue(p.waitForRelease("DC006"), p.dump())
        p.at(20)
        try p.touch("DC006")
        p.at(22)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock, count: 2)
        assertSettledUnlocks(p, ["DC006": 2])
        let unlocks = audit(p).filter { $0.kind == .unlock }
        XCTAssertEqual(unlocks.count, 2)
        let sessions = try unlocks.compactMap { try $0.snapshot()?.lockSessions.first?.session }
        XCTAssertEqual(Set(sessions).count, 2, "each touch is its own session")
    }

    /// S11: the camera's motion topic on @0 (motion locks [DC001]); obama shown @1 → unlocks DC001.
    func testS11MotionTrigger() throws {
        let p = try makePipeline { $0.motionLocks = ["DC001"] }
        try p.motion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\""), p.dump())
        p.at(1)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        let unlock = try XCTUnwrap(audit(p).first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC001"])
        let snapshot = try XCTUnwrap(try unlock.snapshot())
        XCTAssertEqual(snapshot.lockSessions, [])
        XCTAssertEqual(snapshot.motion?.locks, ["DC001"])
    }

    /// S11 with motion locks empty: motion alone opens nothing.
    func testS11MotionWithoutMotionLocksOpensNothing() throws {
        let p = try makePipeline { $0.motionLocks = [] }
        try p.motion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\""), p.dump())
        p.at(1)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: 4), p.dump())
        assertSettledUnlocks(p, [:])
        XCTAssertEqual(framesAdmitted(p), 0)
        XCTAssertEqual(audit(p).filter { $0.kind == .unlock }.count, 0)
    }

    /// S17: DC001 true @0; two_people.jpg (Biden left, Obama right; Biden not enrolled: a
    /// stranger here) → unlocks DC001; the audit has the stranger too.
    func testS17TwoFaces() throws {
        let p = try makePipeline { $0.members = [.obama] }
        try p.touch("DC001")
        p.at(2)
        try p.show("two_people.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        let rows = audit(p)
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.member?.name, "obama")
        XCTAssertEqual(unlock.unlockedLocks, ["DC001"])
        let sameFrame = rows.filter { $0.txn == unlock.txn }
        XCTAssertEqual(sameFrame.count, 2, "one row per face of the frame\n\(auditText(p))")
        let stranger = try XCTUnwrap(sameFrame.first { $0.kind == .unknownFace }, auditText(p))
        XCTAssertNil(stranger.member)
        XCTAssertNotEqual(stranger.faceIndex, unlock.faceIndex)
        XCTAssertEqual(Set(rows.map(\.kind)).subtracting([.unlock, .alreadyUnlocked, .unknownFace]), [])
    }

    /// S18: one person enrolled under two names with near-identical descriptors (obama.jpg as
    /// "obama", obama-720p.jpg, the same portrait, as "barack") → unlocks nothing; audit: ambiguous.
    func testS18Ambiguous() throws {
        let p = try makePipeline {
            $0.members = [PipelineMember("obama", photo: "obama.jpg", grants: ["DC001", "DC006"]),
                          PipelineMember("barack", photo: "obama-720p.jpg", grants: ["DC001", "DC006"])]
        }
        try p.touch("DC001")
        p.at(2)
        try p.show("obama2.jpg")
        waitForDecision(p, .ambiguous)
        assertSettledUnlocks(p, [:])
        let rows = audit(p)
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            XCTAssertEqual(row.kind, .ambiguous, auditText(p))
            XCTAssertNil(row.member)
            XCTAssertTrue(row.reason.contains("ambiguous"), row.reason)
        }
    }
}
