import BrokerCore
import Foundation
import Vocabulary
import XCTest

/// A lock's policy over a face track: k confirming frames inside the session and the window,
/// wait versus deny, and the reasons the audit will carry.
final class LockPolicyTests: XCTestCase {
    /// The property: an unlock needs k frames captured at distinct instants inside the session,
    /// within the window ending at the newest of them. Random tracks, with frames before, inside
    /// and after the session and repeated instants, against that definition written out here.
    func testNoUnlockWithoutKConfirmingFramesInsideTheSession() {
        var rng = SeededGenerator(seed: 41)
        var outcomes: [String: Int] = [:]
        for trial in 0..<3000 {
            let start = Double(Int.random(in: 0...20, using: &rng)) / 10
            let end = start + Double(Int.random(in: 1...60, using: &rng)) / 10
            let k = Int.random(in: 1...5, using: &rng)
            let window = Double(Int.random(in: 1...30, using: &rng)) / 10
            let policy = LockPolicy(confirmFrames: k, confirmWindow: .seconds(window))
            // Tenths of a second, so instants repeat and land exactly on the session's edges.
            let times = (0..<Int.random(in: 0...10, using: &rng)).map { _ in Double(Int.random(in: 0...90, using: &rng)) / 10 }
            let frames = times.enumerated().map { i, t in trackFrame(t, txn: UInt64(i + 1), distance: .random(in: 0.1...0.5, using: &rng)) }
            let now = (times.max() ?? 0) + Double(Int.random(in: 0...40, using: &rng)) / 10
            let e = policy.evaluate(track(frames), session: span(start, end), now: .scenario(now))

            // The definition.
            let inside = Set(times.map { MonotonicInstant.scenario($0) }.filter { span(start, end).contains($0) })
            let newest = inside.max()
            let confirming: Set<MonotonicInstant> = newest.map { n in inside.filter { $0 >= n - .seconds(window) } } ?? []
            let firstSeen = max(MonotonicInstant.scenario(start), times.map { MonotonicInstant.scenario($0) }.min() ?? .scenario(start))
            let windowOver = MonotonicInstant.scenario(now) >= firstSeen + .seconds(window)
            let context = "trial \(trial): session [\(start), \(end)) k \(k) window \(window) frames \(times.sorted()) now \(now): \(e.reason)"

            XCTAssertEqual(e.verdict == .unlock, confirming.count >= k, context)
            XCTAssertEqual(Set(e.frames.map(\.captureTime)), confirming, context)
            XCTAssertEqual(e.frames.count, confirming.count, "one frame per instant: \(context)")
            switch e.verdict {
            case .unlock:
                XCTAssertTrue(e.frames.allSatisfy { span(start, end).contains($0.captureTime) }, context)
                outcomes["unlock", default: 0] += 1
            case let .wait(missing):
                XCTAssertFalse(windowOver, context)
                XCTAssertEqual(missing, [.frames(have: confirming.count, need: k)], context)
                XCTAssertEqual(e.reason, "waiting: \(confirming.count) of \(k) confirming frames", context)
                outcomes["wait", default: 0] += 1
            case let .deny(denial):
                XCTAssertTrue(windowOver, context)
                XCTAssertEqual(denial, .notConfirmed, context)
                XCTAssertEqual(e.reason, "confirmed by \(confirming.count) of \(k) frames within \(TimeSpan.seconds(window))", context)
                outcomes["deny", default: 0] += 1
            }
            // Each kept instant keeps its closest match.
            for f in e.frames {
                let best = frames.filter { $0.captureTime == f.captureTime }.map(\.distance).min()
                XCTAssertEqual(f.distance, best, context)
            }
        }
        for outcome in ["unlock", "wait", "deny"] { XCTAssertGreaterThan(outcomes[outcome, default: 0], 200, "\(outcomes)") }
    }

    /// The same property with liveness on: a live head's frames never stand in for missing
    /// confirmations, and liveness is judged only on the confirming frames.
    func testLivenessNeverReplacesConfirmingFrames() {
        var rng = SeededGenerator(seed: 42)
        var unlocks = 0
        for trial in 0..<300 {
            let k = Int.random(in: 2...6, using: &rng)
            let policy = LockPolicy(confirmFrames: k, confirmWindow: .seconds(1), liveness: .planar, thresholds: syntheticThresholds)
            let count = Int.random(in: 1...8, using: &rng)
            let frames = (0..<count).map { i in
                trackFrame(Double(Int.random(in: 0...40, using: &rng)) / 10, txn: UInt64(i + 1),
                           landmarks: head(Pose(yaw: Double(i) * 6 - 20)))
            }
            let start = Double(Int.random(in: 0...20, using: &rng)) / 10
            let e = policy.evaluate(track(frames), session: span(start, start + 2), now: .scenario(6))
            let inside = Set(frames.map(\.captureTime).filter { span(start, start + 2).contains($0) })
            let confirming: Set<MonotonicInstant> = inside.max().map { n in inside.filter { $0 >= n - .seconds(1) } } ?? []
            if e.verdict == .unlock {
                unlocks += 1
                XCTAssertGreaterThanOrEqual(confirming.count, k, "trial \(trial): \(e.reason)")
                XCTAssertGreaterThanOrEqual(e.planar?.residual ?? 0, syntheticThresholds.parallax, "trial \(trial)")
            } else if confirming.count < k {
                XCTAssertEqual(e.verdict, .deny(.notConfirmed), "trial \(trial): \(e.reason)")
            }
        }
        XCTAssertGreaterThan(unlocks, 10)
    }

    func testAFrameAtTheSessionsEndIsOutsideIt() {
        let policy = LockPolicy(confirmFrames: 2, confirmWindow: .seconds(5))
        let frames = [trackFrame(1, txn: 1), trackFrame(2, txn: 2)]
        XCTAssertEqual(policy.evaluate(track(frames), session: span(1, 2), now: .scenario(2)).verdict,
                       .wait([.frames(have: 1, need: 2)]))
        XCTAssertEqual(policy.evaluate(track(frames), session: span(1, 2.001), now: .scenario(2)).verdict, .unlock)
    }

    func testAFrameSeenOnceWaitsForTheWindowThenIsNotConfirmed() {
        // L4 in the issue: k = 3, the member shown for one frame only.
        let policy = LockPolicy(confirmFrames: 3, confirmWindow: .seconds(2))
        let once = track([trackFrame(1, txn: 7)])
        let early = policy.evaluate(once, session: span(0, 10), now: .scenario(2.999))
        XCTAssertEqual(early.verdict, .wait([.frames(have: 1, need: 3)]))
        XCTAssertEqual(early.reason, "waiting: 1 of 3 confirming frames")
        let late = policy.evaluate(once, session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(late.verdict, .deny(.notConfirmed))
        XCTAssertEqual(late.reason, "confirmed by 1 of 3 frames within 2.000s")
    }

    func testADenialIsNotFinalWhileTheTrackGoesOn() {
        let policy = LockPolicy(confirmFrames: 3, confirmWindow: .seconds(1))
        var frames = [trackFrame(1, txn: 1)]
        XCTAssertEqual(policy.evaluate(track(frames), session: span(0, 10), now: .scenario(2.5)).verdict, .deny(.notConfirmed))
        frames += [trackFrame(2.6, txn: 2), trackFrame(2.8, txn: 3), trackFrame(3.0, txn: 4)]
        let e = policy.evaluate(track(frames), session: span(0, 10), now: .scenario(3.1))
        XCTAssertEqual(e.verdict, .unlock)
        XCTAssertEqual(e.frames.map(\.txn.rawValue), [2, 3, 4], "the first frame fell out of the window")
        XCTAssertEqual(e.reason, "confirmed by 3 frames within 1.000s (txn 0000000000000002,0000000000000003,0000000000000004)")
    }

    func testDroppedFramesDoNotMakeATrackLookYounger() {
        var store = FaceTrackStore(limits: .init(framesPerSession: 1, framesPerCamera: 1))
        store.record(trackFrame(1, txn: 1), member: Cast.obamaID, camera: Cast.camA, sessions: [SessionID(1)])
        store.record(trackFrame(2.5, txn: 2), member: Cast.obamaID, camera: Cast.camA, sessions: [SessionID(1)])
        let t = store.track(camera: Cast.camA, session: SessionID(1), member: Cast.obamaID)!
        let e = LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2)).evaluate(t, session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.verdict, .deny(.notConfirmed), "the track began at 1 s: its window is over at 3 s")
    }

    func testTheDefaultPolicyIsOneFrameAndNoLiveness() {
        let policy = LockPolicy()
        XCTAssertEqual(policy.confirmFrames, 1)
        XCTAssertEqual(policy.liveness, .off)
        let e = policy.evaluate(track([trackFrame(1, txn: 1)]), session: span(0, 10), now: .scenario(1))
        XCTAssertEqual(e.verdict, .unlock)
        XCTAssertEqual(e.reason, "confirmed by 1 frame within 2.000s (txn 0000000000000001)")
        XCTAssertNil(e.planar)
        XCTAssertNil(e.blink)
        XCTAssertEqual(policy.evaluate(track([]), session: span(0, 10), now: .scenario(1)).verdict, .wait([.frames(have: 0, need: 1)]))
    }

    func testLivenessCheckNamesAreTheConfigurationsWords() {
        XCTAssertEqual(LivenessCheck.allCases.map(\.rawValue), ["off", "planar", "blink", "planar+blink"])
        XCTAssertEqual(LivenessCheck(rawValue: "planar+blink"), .planarAndBlink)
        XCTAssertEqual(LivenessCheck.allCases.map { [$0.checksPlanar, $0.checksBlink] },
                       [[false, false], [true, false], [false, true], [true, true]])
        XCTAssertEqual(PolicyDenial.allCases.map(\.rawValue), ["not_confirmed", "liveness_failed"])
    }

    func testPoliciesThatCannotWorkAreNamed() {
        XCTAssertEqual(LockPolicy().problems(), [])
        XCTAssertEqual(LockPolicy(liveness: .planarAndBlink, thresholds: syntheticThresholds).problems(), [])
        XCTAssertEqual(LockPolicy(confirmFrames: 0).problems(), ["confirm_frames must be at least 1"])
        XCTAssertEqual(LockPolicy(confirmFrames: 1, confirmWindow: .zero).problems(), [])
        XCTAssertEqual(LockPolicy(confirmFrames: 2, confirmWindow: .zero).problems(),
                       ["confirm_window must be positive when confirm_frames is above 1 or liveness is on"])
        let bad = LivenessThresholds(parallax: .nan, motion: 0, eyeClosed: 0.3, eyeOpen: 0.25, planarFrames: 1)
        XCTAssertEqual(LockPolicy(liveness: .off, thresholds: bad).problems(), [], "thresholds of a check that is off do not matter")
        XCTAssertEqual(LockPolicy(liveness: .blink, thresholds: bad).problems(), [
            "liveness parallax threshold must be a positive number",
            "liveness motion threshold must be a positive number",
            "eye-open aspect ratio (0.25) must be above the eye-closed one (0.3)",
            "planar frames must be at least 3",
        ])
    }

    func testFaceLandmarksAreSixtyEightFinitePoints() throws {
        let points = PinholeCamera.project(SyntheticHead.face(), Pose()).map { LandmarkPoint(x: Float($0.x), y: Float($0.y)) }
        let l = try FaceLandmarks(points)
        XCTAssertEqual(l[36], points[36])
        XCTAssertEqual(Array(l[.rightEye]), Array(points[36...41]))
        XCTAssertEqual(FaceLandmarks.Region.allCases.reduce(0) { $0 + $1.indices.count }, 68)
        XCTAssertThrowsError(try FaceLandmarks(Array(points.prefix(5)))) { error in
            XCTAssertEqual("\(error)", "face landmarks have 5 points, expected 68")
        }
        var bad = points
        bad[40].y = .nan
        XCTAssertThrowsError(try FaceLandmarks(bad)) { error in
            XCTAssertEqual("\(error)", "face landmark 40 has a coordinate that is not a finite number")
        }
        let json = try JSONEncoder().encode(l)
        XCTAssertEqual(try JSONDecoder().decode(FaceLandmarks.self, from: json), l)
        XCTAssertThrowsError(try JSONDecoder().decode(FaceLandmarks.self, from: Data("[{\"x\":1,\"y\":2}]".utf8)))
    }
}
