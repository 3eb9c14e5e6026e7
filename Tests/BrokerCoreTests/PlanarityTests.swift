import BrokerCore
import Vocabulary
import XCTest

/// The `planar` liveness check: a synthetic head (points with depth) under a pinhole camera
/// against the same points flattened onto a photo, and the residual's invariance under
/// homographies.
final class PlanarityTests: XCTestCase {
    private let defaults = syntheticThresholds

    private func randomPose(_ rng: inout SeededGenerator) -> Pose {
        Pose(yaw: .random(in: -20...20, using: &rng), pitch: .random(in: -15...15, using: &rng),
             roll: .random(in: -15...15, using: &rng), x: .random(in: -80...80, using: &rng),
             y: .random(in: -60...60, using: &rng), distance: .random(in: 450...900, using: &rng))
    }

    // MARK: The residual

    func testPlanarResidualIsInvariantUnderAnyHomographyOfAllLandmarkSets() {
        var rng = SeededGenerator(seed: 21)
        var largest = 0.0, worstChange = 0.0
        for trial in 0..<150 {
            let pa = jittered(PinholeCamera.project(SyntheticHead.face(), randomPose(&rng)), sigma: .random(in: 0...1, using: &rng), &rng)
            let pb = jittered(PinholeCamera.project(SyntheticHead.face(), randomPose(&rng)), sigma: .random(in: 0...1, using: &rng), &rng)
            guard let r = LandmarkGeometry.planarResidual(landmarks(pa), landmarks(pb)) else {
                return XCTFail("trial \(trial): no residual for two views of a head")
            }
            largest = max(largest, r)
            let g = randomHomography(&rng)
            let same = LandmarkGeometry.planarResidual(landmarks(apply(g, pa)), landmarks(apply(g, pb)))
            XCTAssertEqual(same ?? -1, r, accuracy: 1e-4, "trial \(trial): one homography applied to both frames")
            // Stronger: each frame moved by a homography of its own (a photo moved differently in each).
            let ga = randomHomography(&rng), gb = randomHomography(&rng)
            let each = LandmarkGeometry.planarResidual(landmarks(apply(ga, pa)), landmarks(apply(gb, pb)))
            XCTAssertEqual(each ?? -1, r, accuracy: 1e-4, "trial \(trial): a homography per frame")
            worstChange = max(worstChange, abs((same ?? 1) - r), abs((each ?? 1) - r))
        }
        // The trials must include clearly non-planar pairs, or invariance of ~0 proves nothing.
        XCTAssertGreaterThan(largest, 3 * defaults.parallax)
        XCTAssertLessThan(worstChange, 1e-4)
    }

    func testAHeadTurnedByTenDegreesOrMoreIsNotPlanar() {
        var rng = SeededGenerator(seed: 22)
        for trial in 0..<300 {
            let a = randomPose(&rng)
            var b = a
            let turn = Double.random(in: 10...25, using: &rng) * (Bool.random(using: &rng) ? 1 : -1)
            b.yaw += turn
            let la = head(a), lb = head(b)
            let r = LandmarkGeometry.planarResidual(la, lb)!, m = LandmarkGeometry.nonSimilarMotion(la, lb)!
            XCTAssertGreaterThanOrEqual(r, defaults.parallax, "trial \(trial): yaw \(a.yaw) turned by \(turn)")
            XCTAssertGreaterThanOrEqual(m, defaults.motion, "trial \(trial): yaw \(a.yaw) turned by \(turn)")
        }
    }

    func testAPhotoMovedTiltedAndScaledIsPlanar() {
        var rng = SeededGenerator(seed: 23)
        for trial in 0..<300 {
            var a = randomPose(&rng), b = randomPose(&rng)
            a.yaw = .random(in: -45...45, using: &rng); b.pitch = .random(in: -45...45, using: &rng)
            b.distance = .random(in: 300...1000, using: &rng)
            let r = LandmarkGeometry.planarResidual(photo(a), photo(b))!
            XCTAssertLessThan(r, 1e-4, "trial \(trial): \(a) -> \(b)")
        }
    }

    // MARK: The policy's judgement

    private func frames(_ shapes: [FaceLandmarks], every seconds: Double = 0.1) -> [TrackFrame] {
        shapes.enumerated().map { i, l in trackFrame(1 + Double(i) * seconds, txn: UInt64(i + 1), landmarks: l) }
    }

    private let planar = LockPolicy(confirmFrames: 3, confirmWindow: .seconds(2), liveness: .planar, thresholds: syntheticThresholds)

    func testATurningHeadUnlocks() {
        let turning = frames((0..<6).map { head(Pose(yaw: Double($0) * 3, x: Double($0) * 5)) })
        let e = planar.evaluate(track(turning), session: span(0, 10), now: .scenario(1.6))
        XCTAssertEqual(e.verdict, .unlock, e.reason)
        XCTAssertEqual(e.frames.map(\.txn.rawValue), [1, 2, 3, 4, 5, 6])
        XCTAssertGreaterThanOrEqual(e.planar!.residual!, defaults.parallax)
        XCTAssertTrue(e.reason.hasPrefix("confirmed by 6 frames within 2.000s (txn 0000000000000001,"), e.reason)
        XCTAssertTrue(e.reason.contains("planar residual"), e.reason)
    }

    func testAPhotoTiltedInFrontOfTheCameraWaitsThenIsDenied() {
        let tilting = frames((0..<6).map { photo(Pose(yaw: Double($0) * 7, pitch: Double($0) * 2, roll: Double($0), x: Double($0) * 6)) })
        let early = planar.evaluate(track(tilting), session: span(0, 10), now: .scenario(1.6))
        guard case let .wait(missing) = early.verdict else { return XCTFail("\(early.verdict): \(early.reason)") }
        XCTAssertEqual(missing.count, 1)
        guard case let .parallax(measured, need) = missing.first else { return XCTFail("\(missing)") }
        XCTAssertLessThan(measured, 1e-4)
        XCTAssertEqual(need, defaults.parallax)

        let late = planar.evaluate(track(tilting), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(late.verdict, .deny(.livenessFailed), late.reason)
        XCTAssertTrue(late.reason.hasPrefix("planar residual 0.000 eye distances (0.0 px) over 6 frames < 0.020"), late.reason)
        XCTAssertTrue(late.reason.hasSuffix("; confirmed by 6 frames within 2.000s"), late.reason)
        XCTAssertGreaterThan(late.planar!.judgedPairs, 0)
    }

    func testWithLandmarkJitterTurningHeadsUnlockAndTiltedPhotosDoNot() {
        var rng = SeededGenerator(seed: 24)
        for trial in 0..<40 {
            let start = randomPose(&rng)
            let direction: Double = Bool.random(using: &rng) ? 1 : -1
            let headShapes = (0..<8).map { i -> FaceLandmarks in
                var p = start
                p.yaw += direction * Double(i) * 2.5
                return landmarks(jittered(PinholeCamera.project(SyntheticHead.face(), p), sigma: 0.5, &rng))
            }
            let live = planar.evaluate(track(frames(headShapes)), session: span(0, 10), now: .scenario(3))
            XCTAssertEqual(live.verdict, .unlock, "trial \(trial): \(live.reason)")

            let photoShapes = (0..<8).map { i -> FaceLandmarks in
                var p = start
                p.yaw += direction * Double(i) * 5
                p.pitch += Double(i) * 2
                return landmarks(jittered(PinholeCamera.project(SyntheticHead.face(flat: true), p), sigma: 0.5, &rng))
            }
            let flat = planar.evaluate(track(frames(photoShapes)), session: span(0, 10), now: .scenario(3))
            XCTAssertEqual(flat.verdict, .deny(.livenessFailed), "trial \(trial): \(flat.reason)")
        }
    }

    func testOneFrameWithMisplacedLandmarksDoesNotMakeAPhotoLive() {
        // The photo turns 10° per frame; frame 2 is not the photo's shape at all (the shape
        // predictor went wrong on a blurred frame).
        var shapes = [0.0, 10, 0, 20, 30].map { photo(Pose(yaw: $0, x: $0 / 2)) }
        shapes[2] = head(Pose(yaw: 25))
        let e = planar.evaluate(track(frames(shapes)), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.verdict, .deny(.livenessFailed), e.reason)
        // Two of the photo's own pairs (20° and 30° apart) were judged besides the glitch's 4: a
        // plain median of the 6 is half the glitch's; with it left out, the photo's pairs decide.
        XCTAssertEqual(e.planar!.judgedPairs, 6)
        XCTAssertLessThan(e.planar!.residual!, 1e-4)
    }

    func testAStillHeadHasTooLittleMotionToJudge() {
        var rng = SeededGenerator(seed: 25)
        let still = (0..<8).map { _ in landmarks(jittered(PinholeCamera.project(SyntheticHead.face(), Pose()), sigma: 0.3, &rng)) }
        let early = planar.evaluate(track(frames(still)), session: span(0, 10), now: .scenario(1.8))
        guard case let .wait(missing) = early.verdict, case let .motion(measured, need)? = missing.first else {
            return XCTFail("\(early.verdict): \(early.reason)")
        }
        XCTAssertLessThan(measured, need)
        XCTAssertEqual(early.planar?.judgedPairs, 0)
        let late = planar.evaluate(track(frames(still)), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(late.verdict, .deny(.livenessFailed))
        XCTAssertTrue(late.reason.hasPrefix("planar: too little motion to judge: 0.0"), late.reason)
        XCTAssertTrue(late.reason.contains("eye distances over 8 frames < 0.040"), late.reason)
    }

    func testAPhotoSlidAcrossTheLensCannotBeJudged() {
        // Parallel to the image plane: moving, turning in the plane and zooming are similarities.
        let sliding = frames((0..<6).map { photo(Pose(roll: Double($0) * 8, x: Double($0) * 30, y: -Double($0) * 10,
                                                       distance: 500 + Double($0) * 60)) })
        let e = planar.evaluate(track(sliding), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.verdict, .deny(.livenessFailed), e.reason)
        XCTAssertLessThan(e.planar!.motion, 1e-4)
        XCTAssertNil(e.planar!.residual)
    }

    func testFramesWithoutLandmarksCannotBeJudged() {
        let bare = (0..<5).map { trackFrame(1 + Double($0) * 0.1, txn: UInt64($0 + 1)) }
        let early = planar.evaluate(track(bare), session: span(0, 10), now: .scenario(1.5))
        XCTAssertEqual(early.verdict, .wait([.landmarks(have: 0, need: 3)]))
        XCTAssertEqual(early.reason, "waiting: 0 of 3 frames with landmarks")
        let late = planar.evaluate(track(bare), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(late.verdict, .deny(.livenessFailed))
        XCTAssertEqual(late.reason, "planar: 0 frames with usable landmarks, need 3; confirmed by 5 frames within 2.000s")
    }

    func testAtMostPlanarFramesSpreadOverTheWindowAreCompared() {
        // Turned at the start, then still: the newest frames alone would show no motion.
        let shapes = (0..<20).map { head(Pose(yaw: $0 < 2 ? 14 : 0)) }
        let e = planar.evaluate(track(frames(shapes, every: 0.05)), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.planar?.frames, defaults.planarFrames)
        XCTAssertEqual(e.planar?.pairs, defaults.planarFrames * (defaults.planarFrames - 1) / 2)
        // Frames 0 and 1 are turned; frame 0 is always chosen, and 1 is not: one turned frame
        // among eight is what a glitch looks like, so this cannot be judged...
        XCTAssertEqual(e.verdict, .deny(.livenessFailed), e.reason)
        XCTAssertNil(e.planar?.residual)
        // ...while two turned frames among the chosen are judged.
        let two = (0..<20).map { head(Pose(yaw: $0 < 4 ? 14 : 0)) }
        let judged = planar.evaluate(track(frames(two, every: 0.05)), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(judged.verdict, .unlock, judged.reason)
    }
}
