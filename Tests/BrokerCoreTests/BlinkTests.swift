import BrokerCore
import Vocabulary
import XCTest

/// The `blink` liveness check: eye aspect ratio on synthetic eye point sequences.
final class BlinkTests: XCTestCase {
    private let defaults = syntheticThresholds
    private let blink = LockPolicy(confirmFrames: 1, confirmWindow: .seconds(2), liveness: .blink, thresholds: syntheticThresholds)

    /// One frame per openness value, 0.1 s apart from scenario second 1, the head slightly
    /// turned and moving so that nothing but the eyelids decides.
    private func eyes(_ openness: [Double]) -> FaceTrack {
        track(openness.enumerated().map { i, o in
            trackFrame(1 + Double(i) * 0.1, txn: UInt64(i + 1), landmarks: head(Pose(yaw: 10, roll: Double(i), x: Double(i) * 3), openness: o))
        })
    }

    func testEyeAspectRatioFollowsTheEyelidsAndIgnoresPoseInTheImagePlane() {
        let open = LandmarkGeometry.eyeAspectRatio(head(Pose()))!
        XCTAssertEqual(open, 0.329, accuracy: 0.001) // the model's lids: 9 mm open over a 28 mm eye
        for o in stride(from: 0.0, through: 1, by: 0.1) {
            XCTAssertEqual(LandmarkGeometry.eyeAspectRatio(head(Pose(), openness: o))!, open * o, accuracy: 1e-4, "openness \(o)")
        }
        var rng = SeededGenerator(seed: 31)
        let points = PinholeCamera.project(SyntheticHead.face(openness: 0.7), Pose())
        let reference = LandmarkGeometry.eyeAspectRatio(landmarks(points))!
        for _ in 0..<50 {
            let angle = Double.random(in: -Double.pi...Double.pi, using: &rng), scale = Double.random(in: 0.3...3, using: &rng)
            let t = SIMD2(Double.random(in: -200...200, using: &rng), Double.random(in: -200...200, using: &rng))
            let moved = points.map { p in
                scale * SIMD2(p.x * cos(angle) - p.y * sin(angle), p.x * sin(angle) + p.y * cos(angle)) + t
            }
            XCTAssertEqual(LandmarkGeometry.eyeAspectRatio(landmarks(moved))!, reference, accuracy: 1e-5)
        }
    }

    func testEyeAspectRatioOfAnEyeWithoutWidthIsNone() {
        var points = PinholeCamera.project(SyntheticHead.face(), Pose())
        points[39] = points[36]
        XCTAssertNil(LandmarkGeometry.eyeAspectRatio(landmarks(points)))
    }

    func testOpenClosedOpenIsABlink() {
        let e = blink.evaluate(eyes([1, 1, 0.3, 0.1, 0.4, 1, 1]), session: span(0, 10), now: .scenario(1.7))
        XCTAssertEqual(e.verdict, .unlock, e.reason)
        XCTAssertEqual(e.blink?.blinked, true)
        XCTAssertEqual(e.blink?.frames, 7)
        XCTAssertTrue(e.reason.hasSuffix("; blink: eye aspect ratio 0.034-0.337 over 7 frames"), e.reason)
    }

    func testEyesThatNeverCloseAreDeniedAfterTheWindow() {
        let open = eyes(Array(repeating: 1, count: 10))
        XCTAssertEqual(blink.evaluate(open, session: span(0, 10), now: .scenario(2)).verdict, .wait([.blink]))
        let e = blink.evaluate(open, session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.verdict, .deny(.livenessFailed))
        XCTAssertEqual(e.reason, "no blink: eye aspect ratio 0.335-0.338 over 10 frames, never below 0.200 and back to 0.250; "
            + "confirmed by 10 frames within 2.000s")
    }

    func testClosingWithoutReopeningOrOpeningFromClosedIsNotABlink() {
        for sequence in [[1, 1, 0.2, 0.1, 0.1], [0.1, 0.1, 1, 1], [0.1, 1, 0.1], [1, 0.65, 0.7, 0.62, 1]] as [[Double]] {
            let e = blink.evaluate(eyes(sequence), session: span(0, 10), now: .scenario(3))
            XCTAssertEqual(e.verdict, .deny(.livenessFailed), "\(sequence): \(e.reason)")
            XCTAssertEqual(e.blink?.blinked, false, "\(sequence)")
        }
    }

    func testJitterBetweenTheThresholdsIsNotABlink() {
        // EAR 0.21-0.24: below "open", never below "closed".
        let e = blink.evaluate(eyes([0.73, 0.64, 0.72, 0.65, 0.73, 0.64]), session: span(0, 10), now: .scenario(3))
        XCTAssertEqual(e.blink?.blinked, false, e.reason)
    }

    func testABlinkOutsideTheWindowDoesNotCount() {
        // A blink at 1.0-1.2 s, then open eyes until 4.5 s: the window ending at 4.5 s holds none.
        var frames = eyes([1, 0.1, 1]).frames
        for (i, t) in stride(from: 2.6, through: 4.5, by: 0.1).enumerated() {
            frames.append(trackFrame(t, txn: UInt64(100 + i), landmarks: head(Pose(yaw: 10), openness: 1)))
        }
        let e = blink.evaluate(track(frames), session: span(0, 10), now: .scenario(4.6))
        XCTAssertEqual(e.verdict, .deny(.livenessFailed), e.reason)
        XCTAssertEqual(e.frames.first?.captureTime, .scenario(2.6))
    }

    func testFewerThanThreeFramesWithLandmarksCannotShowABlink() {
        let e = blink.evaluate(eyes([1, 0.1]), session: span(0, 10), now: .scenario(1.2))
        XCTAssertEqual(e.verdict, .wait([.landmarks(have: 2, need: 3)]))
    }

    func testBlinkDetectionMatchesItsDefinitionOnRandomSequences() {
        var rng = SeededGenerator(seed: 32)
        var blinks = 0
        for trial in 0..<400 {
            let openness = (0..<Int.random(in: 3...12, using: &rng)).map { _ in
                [1.0, 0.9, 0.7, 0.5, 0.3, 0.1][Int.random(in: 0..<6, using: &rng)]
            }
            let ratios = openness.map { LandmarkGeometry.eyeAspectRatio(head(Pose(yaw: 10), openness: $0))! }
            // Definition: some open frame, later a closed frame, later an open frame again.
            var expected = false
            for i in ratios.indices where ratios[i] >= defaults.eyeOpen {
                for j in ratios.indices where j > i && ratios[j] < defaults.eyeClosed {
                    if ratios[(j + 1)...].contains(where: { $0 >= defaults.eyeOpen }) { expected = true }
                }
            }
            let e = blink.evaluate(eyes(openness), session: span(0, 10), now: .scenario(3))
            XCTAssertEqual(e.blink?.blinked, expected, "trial \(trial): \(openness)")
            XCTAssertEqual(e.verdict == .unlock, expected, "trial \(trial): \(e.reason)")
            if expected { blinks += 1 }
        }
        XCTAssertGreaterThan(blinks, 50)
        XCTAssertLessThan(blinks, 350)
    }

    func testPlanarAndBlinkNeedsBoth() {
        let both = LockPolicy(confirmFrames: 2, confirmWindow: .seconds(2), liveness: .planarAndBlink, thresholds: syntheticThresholds)
        let openness: [Double] = [1, 1, 0.1, 1, 1, 1]
        func frames(turning: Bool, openness: [Double]) -> FaceTrack {
            track(openness.enumerated().map { i, o in
                trackFrame(1 + Double(i) * 0.1, txn: UInt64(i + 1),
                           landmarks: head(Pose(yaw: turning ? Double(i) * 4 : 0), openness: o))
            })
        }
        XCTAssertEqual(both.evaluate(frames(turning: true, openness: openness), session: span(0, 10), now: .scenario(2)).verdict, .unlock)
        let noBlink = both.evaluate(frames(turning: true, openness: Array(repeating: 1, count: 6)), session: span(0, 10), now: .scenario(4))
        XCTAssertEqual(noBlink.verdict, .deny(.livenessFailed))
        XCTAssertTrue(noBlink.reason.hasPrefix("no blink"), noBlink.reason)
        XCTAssertNotNil(noBlink.planar?.residual)
        let noTurn = both.evaluate(frames(turning: false, openness: openness), session: span(0, 10), now: .scenario(4))
        XCTAssertEqual(noTurn.verdict, .deny(.livenessFailed))
        XCTAssertTrue(noTurn.reason.hasPrefix("planar: too little motion to judge"), noTurn.reason)
        XCTAssertEqual(noTurn.blink?.blinked, true)
    }
}
