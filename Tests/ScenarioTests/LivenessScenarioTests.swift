import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import XCTest

/// L1–L5 (issue 10): lock policies on the real processes. A member who moves opens a `planar`
/// lock; a photo of a member, held still or moved and tilted, does not; a face seen once does
/// not satisfy `confirm_frames`; and the seed's story still opens only the lock touched.
///
/// These run at scale 1 (scenario seconds are real seconds): liveness is about motion between
/// real frames, and the clip plays in real time.
final class LivenessScenarioTests: ScenarioCase {
    private static let lin = PipelineMember("lin", photo: "lin-manuel-miranda.png", grants: ["DC006"])

    private func livenessPipeline(_ configure: (inout PipelineOptions) -> Void = { _ in }) throws -> Pipeline {
        try makePipeline { o in
            o.scale = 1
            o.fps = 10
            o.maxWidth = 1280
            o.lockPolicies["DC006"] = "liveness = \"planar\"\nconfirm_window = 2"
            configure(&o)
        }
    }

    private func rows(_ p: Pipeline, _ kind: DecisionKind) -> [AuditEntry] { audit(p).filter { $0.kind == kind } }

    /// L1: the clip (a real person talking and turning his head) and DC006 on `planar`: one
    /// unlock, whose reason gives the planar figures and the frames that confirmed it.
    func testL1ThePersonInTheClipOpensAPlanarLock() throws {
        let p = try livenessPipeline { $0.members = [Self.lin] }
        // His head is in view from 2.8 s to 7.0 s of the clip; the touch lasts the hold (10 s).
        try p.showSource("file://\(Paths.face("short_hamilton_clip.mp4").path)", photo: nil, waitForFrame: true)
        try p.touch("DC006")
        let unlocks = waitForDecision(p, .unlock, timeout: 30)
        assertSettledUnlocks(p, ["DC006": 1])
        let unlock = try XCTUnwrap(unlocks.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.member?.name, "lin")
        XCTAssertTrue(unlock.reason.contains("unlocked DC006 (confirmed by"), unlock.reason)
        XCTAssertTrue(unlock.reason.contains("planar residual"), unlock.reason)
        print("L1 unlock: \(unlock.reason)")
        // On a quiet machine no window of the clip is refused. On a loaded one the recognizer
        // may see only 3-4 frames in a window, over which the head moved less than a flat
        // picture may (seen: residual 0.034 < 0.035 over 4 frames): that window is refused,
        // fail-secure, and a later one with more motion opens. A refusal after the unlock
        // would be a track judged again after it was settled.
        let refusals = rows(p, .livenessFailed)
        for row in refusals {
            XCTAssertLessThan(row.captureMonotonicNs ?? .max, unlock.captureMonotonicNs ?? 0, auditText(p))
        }
        print("L1: \(refusals.count) window(s) refused before the unlock")
    }

    /// L2: a still photo of obama and DC006 on `planar`: nothing opens; the audit says
    /// `liveness_failed` with the measured motion.
    func testL2AStillPhotoIsRefused() throws {
        let p = try livenessPipeline()
        try p.touch("DC006")
        try p.show("obama2.jpg")
        // Judged on the photo's motion: a window that saw too few frames (a CI run once saw
        // frames 2 s apart) refuses too, but proves nothing about the photo.
        func judged(_ row: AuditEntry) -> Bool {
            row.kind == .livenessFailed && (row.reason.contains("too little motion") || row.reason.contains("planar residual"))
        }
        let denied = waitForAudit(p, timeout: 30) { $0.contains(where: judged) }
        p.hide()
        assertSettledUnlocks(p, [:])
        let row = try XCTUnwrap(denied.first(where: judged), auditText(p))
        XCTAssertEqual(row.member?.name, "obama")
        XCTAssertTrue(row.reason.contains("DC006: liveness_failed"), row.reason)
        for other in audit(p) where other.member != nil {
            XCTAssertEqual(other.member?.name, "obama", other.reason)
            XCTAssertTrue([.livenessFailed, .awaitingConfirmation].contains(other.kind), "\(other.kind): \(other.reason)")
        }
        print("L2 denial: \(row.reason)")
    }

    /// L3: obama's photo moved, turned, scaled and tilted in front of the camera (rendered now
    /// to a video) and DC006 on `planar`: nothing opens; the audit says `liveness_failed`.
    func testL3AMovingTiltingPhotoIsRefused() throws {
        let dir = TemporaryDirectory(prefix: "fg-l3")
        let video = dir.file("obama-tilting.mp4")
        _ = try PhotoMotionVideo.member("obama.jpg", motion: .tilting,
                                        settings: .init(duration: 8)).write(to: video)
        let p = try livenessPipeline()
        try p.touch("DC006")
        try p.showSource("file://\(video.path)", photo: nil)
        let denied = waitForDecision(p, .livenessFailed, timeout: 30)
        p.hide()
        assertSettledUnlocks(p, [:])
        let row = try XCTUnwrap(denied.first { $0.kind == .livenessFailed })
        XCTAssertEqual(row.member?.name, "obama", "the attack must be a recognised member, or it proves nothing")
        XCTAssertTrue(row.reason.contains("DC006: liveness_failed"), row.reason)
        print("L3 denial: \(row.reason)")
        withExtendedLifetime(dir) {}
    }

    /// L4: `confirm_frames = 3`, obama in one frame only: nothing opens; when the window has
    /// passed the audit says `not_confirmed`, naming 1 of 3 frames.
    func testL4AFaceSeenInOneFrameIsNotConfirmed() throws {
        let p = try livenessPipeline { $0.lockPolicies["DC006"] = "confirm_frames = 3\nconfirm_window = 2" }
        try p.touch("DC006")
        try p.showSource("image://\(Paths.face("obama2.jpg").path)?seconds=0.1&fps=10", photo: "obama2.jpg")
        let denied = waitForDecision(p, .notConfirmed, timeout: 30)
        p.hide()
        assertSettledUnlocks(p, [:])
        let row = try XCTUnwrap(denied.first { $0.kind == .notConfirmed })
        XCTAssertEqual(row.member?.name, "obama")
        XCTAssertTrue(row.reason.contains("confirmed by 1 of 3 frames"), row.reason)
        XCTAssertEqual(rows(p, .awaitingConfirmation).count, 1, "one frame, one wait: \(auditText(p))")
    }

    /// L5: S6 (the seed's Test 9) with `planar` on DC006: still DC006 only. Obama's photo held
    /// still cannot open DC006 any more, so here the camera sees a person — the clip, with
    /// lin holding obama's grants — and DC001 (no liveness) was released before the capture.
    func testL5TheSeedStoryStillOpensOnlyTheLockTouched() throws {
        let p = try livenessPipeline { o in
            o.members = [PipelineMember("lin", photo: "lin-manuel-miranda.png", grants: ["DC001", "DC006"])]
            o.holdSeconds = 20
        }
        try p.touch("DC001")
        p.at(1)
        try p.touch("DC006")
        p.at(2)
        try p.release("DC001")
        try p.showSource("file://\(Paths.face("short_hamilton_clip.mp4").path)", photo: nil, waitForFrame: true)
        let unlocks = waitForDecision(p, .unlock, timeout: 30)
        p.hide()
        assertSettledUnlocks(p, ["DC006": 1])
        let unlock = try XCTUnwrap(unlocks.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        for row in audit(p) { XCTAssertEqual(try row.snapshot()?.triggeredLocks, ["DC006"], row.reason) }
    }
}
