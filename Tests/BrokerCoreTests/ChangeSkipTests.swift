import BrokerCore
import Vocabulary
import XCTest

/// The change-skip: a frame that shows what the last judged frame of the same sessions showed
/// is not recognized again, and the first frame after a touch always is.
final class ChangeSkipTests: XCTestCase {
    typealias C = Cast

    /// A flat grey 64×36 RGB picture, `patch` grey levels brighter in its top-left 8×8 pixels
    /// (one thumbnail cell is 2×2 pixels here, so the patch covers 16 cells).
    private func picture(patch: Int = 0) -> FrameThumbnail {
        let width = 64, height = 36
        var pixels = [UInt8](repeating: 100, count: width * height * 3)
        for y in 0..<8 { for x in 0..<8 { for c in 0..<3 { pixels[(y * width + x) * 3 + c] = UInt8(100 + patch) } } }
        return pixels.withUnsafeBytes { FrameThumbnail(pixels: $0, format: .rgb24, width: width, height: height, stride: width * 3)! }
    }

    private func engine(threshold: Int = 6, confirmFrames: Int = 1) -> DecisionEngine {
        var configuration = C.configuration(confirmFrames: confirmFrames)
        configuration.cameras[0].changeSkipThreshold = threshold
        return C.engine(configuration)
    }

    private func capture(_ e: inout DecisionEngine, at t: Double, _ thumbnail: FrameThumbnail) -> FrameAdmission {
        e.frameCaptured(camera: C.camA, captureTime: at(t), imageSize: C.imageSize, now: at(t + 0.02), thumbnail: { thumbnail })
    }

    /// Admits a frame and answers it with `faces` 200 ms later.
    @discardableResult
    private func judge(_ e: inout DecisionEngine, at t: Double, _ thumbnail: FrameThumbnail,
                       faces: [DetectedFace] = []) throws -> [Decision] {
        let txn = try XCTUnwrap(capture(&e, at: t, thumbnail).txn, "frame at \(t) not admitted")
        let decisions = e.resultArrived(txn: txn, faces: faces, now: at(t + 0.2), gallery: C.gallery)
        e.deliver(decisions)
        return decisions
    }

    // MARK: The thumbnail

    func testThumbnailSeesALocalChangeAndIgnoresNone() {
        XCTAssertEqual(picture().largestCellDifference(to: picture()), 0)
        XCTAssertEqual(picture(patch: 40).largestCellDifference(to: picture()), 40)
        // 16 of 576 cells changed by 40: a mean would call this 1.1 levels, under any noise floor.
        XCTAssertEqual(picture(patch: 40).meanDifference(to: picture()), 40.0 * 16 / 576, accuracy: 1e-9)
    }

    func testThumbnailOfGreyAndRGBAgree() {
        let width = 320, height = 180
        var rgb = [UInt8](repeating: 0, count: width * height * 3), grey = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8((x + 3 * y) % 256)
                grey[y * width + x] = v
                for c in 0..<3 { rgb[(y * width + x) * 3 + c] = v }
            }
        }
        let a = rgb.withUnsafeBytes { FrameThumbnail(pixels: $0, format: .rgb24, width: width, height: height, stride: width * 3)! }
        let b = grey.withUnsafeBytes { FrameThumbnail(pixels: $0, format: .gray8, width: width, height: height, stride: width)! }
        XCTAssertLessThanOrEqual(a.largestCellDifference(to: b), 1, "luma weights sum to 256/256")
    }

    func testThumbnailRefusesABufferShorterThanItsDimensions() {
        let pixels = [UInt8](repeating: 0, count: 64 * 36 * 3 - 1)
        XCTAssertNil(pixels.withUnsafeBytes { FrameThumbnail(pixels: $0, format: .rgb24, width: 64, height: 36, stride: 64 * 3) })
        XCTAssertNil(pixels.withUnsafeBytes { FrameThumbnail(pixels: $0, format: .rgb24, width: 0, height: 36, stride: 64 * 3) })
    }

    // MARK: The gate in the engine

    func testUnchangedFrameAfterAJudgedOneIsSkippedAndCounted() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        try judge(&e, at: 1, picture())
        XCTAssertEqual(capture(&e, at: 1.5, picture()), .skip(.unchanged))
        XCTAssertEqual(capture(&e, at: 1.6, picture(patch: 6)), .skip(.unchanged), "within the threshold")
        XCTAssertNotNil(capture(&e, at: 1.7, picture(patch: 7)).txn, "one cell beyond the threshold is a change")
        XCTAssertEqual(e.counters.framesSkipped[.unchanged], 2)
        XCTAssertEqual(e.counters.framesAdmitted, 2)
    }

    func testFirstFrameAfterATouchIsNeverSkipped() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        try judge(&e, at: 1, picture())
        XCTAssertEqual(capture(&e, at: 1.5, picture()), .skip(.unchanged))
        // The same picture, but a new touch: a new session, judged at once.
        e.release(C.dc006, 2)
        e.touch(C.dc006, 3)
        XCTAssertNotNil(capture(&e, at: 3.1, picture()).txn, "the first frame of a new session was skipped")
        // A second lock touched while the first is open changes the frame's sessions too.
        var f = engine()
        f.touch(C.dc006, 0)
        try judge(&f, at: 1, picture())
        f.touch(C.dc001, 1.4)
        XCTAssertNotNil(capture(&f, at: 1.5, picture()).txn, "the first frame after DC001's touch was skipped")
    }

    func testTheFirstDecisionAfterATouchIsTheSameWithTheGate() throws {
        // Obama stands still in front of the camera: a stranger was judged in the previous
        // session; the new touch must unlock from its first frame.
        var e = engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(try judge(&e, at: 1, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.unlock])
        e.release(C.dc006, 2)
        e.touch(C.dc006, 3)
        XCTAssertEqual(try judge(&e, at: 3.1, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.unlock])
    }

    func testAFrameSentButNotJudgedIsNoReference() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        let first = try XCTUnwrap(capture(&e, at: 1, picture()).txn)
        XCTAssertNotNil(capture(&e, at: 1.1, picture()).txn, "nothing judged yet")
        XCTAssertTrue(e.discardTxn(first))
        XCTAssertNotNil(capture(&e, at: 1.2, picture()).txn, "a replaced frame said nothing about the scene")
        let failed = try XCTUnwrap(capture(&e, at: 1.3, picture()).txn)
        XCTAssertNotNil(e.recognizerFailed(txn: failed, reason: "test", now: at(1.4)))
        XCTAssertNotNil(capture(&e, at: 1.5, picture()).txn, "a frame the recognizer failed on said nothing either")
    }

    func testAStaleResultIsNoReference() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        let txn = try XCTUnwrap(capture(&e, at: 1, picture()).txn)
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.strangerShown)], now: at(1 + C.maxDecisionAge.seconds + 1),
                                       gallery: C.gallery).map(\.kind), [.stale])
        XCTAssertNotNil(capture(&e, at: 10, picture()).txn)
    }

    func testAStrangerStandingStillIsJudgedOnce() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(try judge(&e, at: 1, picture(), faces: [C.face(C.strangerShown)]).map(\.kind), [.unknownFace])
        XCTAssertEqual(capture(&e, at: 1.5, picture()), .skip(.unchanged))
    }

    func testLocksThatCountFramesGetEveryFrameWithAFace() throws {
        var e = engine(confirmFrames: 2)
        e.touch(C.dc006, 0)
        try judge(&e, at: 1, picture(), faces: [C.face(C.obamaShown)])
        XCTAssertNotNil(capture(&e, at: 1.5, picture()).txn, "confirm_frames 2 needs the repeats")
        // Without a face the repeat can decide nothing, whatever the policy.
        var f = engine(confirmFrames: 2)
        f.touch(C.dc006, 0)
        try judge(&f, at: 1, picture())
        XCTAssertEqual(capture(&f, at: 1.5, picture()), .skip(.unchanged))
    }

    func testThresholdZeroRecognizesEveryFrame() throws {
        var e = engine(threshold: 0)
        e.touch(C.dc006, 0)
        try judge(&e, at: 1, picture())
        XCTAssertNotNil(capture(&e, at: 1.5, picture()).txn)
        XCTAssertNil(e.counters.framesSkipped[.unchanged])
    }

    func testResultsOutOfOrderKeepTheNewestReference() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        let older = try XCTUnwrap(capture(&e, at: 1, picture()).txn)
        let newer = try XCTUnwrap(capture(&e, at: 1.1, picture(patch: 50)).txn)
        _ = e.resultArrived(txn: newer, faces: [], now: at(1.3), gallery: C.gallery)
        _ = e.resultArrived(txn: older, faces: [], now: at(1.4), gallery: C.gallery)
        XCTAssertEqual(capture(&e, at: 1.5, picture(patch: 50)), .skip(.unchanged))
        XCTAssertNotNil(capture(&e, at: 1.6, picture()).txn)
    }
}

extension ChangeSkipTests {
    /// A member turned away by min_unlock_interval, standing still, gets in once it has passed.
    func testTooSoonIsNoReference() throws {
        var configuration = C.configuration()
        configuration.cameras[0].changeSkipThreshold = 6
        configuration.locks = configuration.locks.map { var l = $0; l.minUnlockInterval = .seconds(5); return l }
        var e = C.engine(configuration)
        e.touch(C.dc006, 0)
        XCTAssertEqual(try judge(&e, at: 1, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.unlock])
        e.release(C.dc006, 1.5)
        e.touch(C.dc006, 2)
        XCTAssertEqual(try judge(&e, at: 2.1, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.tooSoon])
        XCTAssertEqual(try judge(&e, at: 6.5, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.unlock],
                       "the repeat after min_unlock_interval was skipped")
    }

    /// An unlock whose command failed is retried from the next frame, picture unchanged.
    func testAFailedUnlockIsRetriedFromTheSamePicture() throws {
        var e = engine()
        e.touch(C.dc006, 0)
        let txn = try XCTUnwrap(capture(&e, at: 1, picture()).txn)
        let decisions = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.2), gallery: C.gallery)
        XCTAssertEqual(decisions.map(\.kind), [.unlock])
        for claim in decisions.flatMap(\.claims) { e.unlockFailed(claim) }
        XCTAssertEqual(try judge(&e, at: 1.5, picture(), faces: [C.face(C.obamaShown)]).map(\.kind), [.unlock])
    }
}
