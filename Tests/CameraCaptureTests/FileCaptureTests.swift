import CameraCapture
import TestSupport
import XCTest

/// The clip `short_hamilton_clip.mp4`: H.264 constrained baseline, 640x360, 30000/1001 fps,
/// 275 frames (PTS 0 ... 9.142 s; counted with `qtdemux ! h264parse ! fakesink silent=false`).
final class FileCaptureTests: XCTestCase {
    static let clipFrames = 275
    static let frameIntervalNs = 1_000_000_000.0 * 1001 / 30000
    let clip = Paths.face("short_hamilton_clip.mp4")

    func testClipPlaysInRealTimeWithEveryFrameSizedAndStamped() throws {
        let recorder = FrameRecorder()
        try withSession("file://\(clip.path)", recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { session.state == .finished }, "clip did not reach its end; state \(session.state)")
            let counters = session.counters
            // Every decoded frame is either delivered or, if this busy machine stalled the
            // handler thread, replaced by a newer one (newest wins, by design): the sum is exact.
            XCTAssertEqual(counters.decoded, UInt64(Self.clipFrames))
            XCTAssertEqual(counters.captured + counters.droppedBehind, UInt64(Self.clipFrames))
            // Real-time playback with a handler that only records: losing more than 10% would
            // mean frames are dropped on the normal path, not just under an occasional stall.
            XCTAssertGreaterThanOrEqual(counters.captured, UInt64(Self.clipFrames * 9 / 10))
            XCTAssertEqual(counters.captured, UInt64(recorder.count))
            XCTAssertEqual(counters.droppedByRateCap, 0)
            XCTAssertEqual(counters.restarts, 0)
        }
        let records = recorder.records
        for record in records {
            XCTAssertEqual(record.width, 640)
            XCTAssertEqual(record.height, 360)
            XCTAssertEqual(record.stride, 1920)
            XCTAssertEqual(record.pixelFormat, .rgb24)
            XCTAssertEqual(record.byteCount, 1920 * 360)
        }
        recorder.assertStampsMonotonicAndBounded()
        // Real-time playback: stamps span the clip's duration (frame 1 to the last delivered one).
        let span = Double(records.last!.captureMonotonicNs - records.first!.captureMonotonicNs)
        let expected = Double(Self.clipFrames - 1) * Self.frameIntervalNs
        XCTAssertEqual(span, expected, accuracy: 2 * Self.frameIntervalNs, "stamps must follow the clip's own timing")
        let frame = try XCTUnwrap(recorder.lastFrame)
        XCTAssertGreaterThan(Set(frame.pixels.prefix(frame.stride * 10)).count, 8, "last frame looks blank")
    }

    func testRateCapDropsRightAfterDecodingAndKeepsOriginalTimes() throws {
        let recorder = FrameRecorder()
        let settings = CaptureSettings(maxFps: 10, pacing: .unpaced)
        try withSession("file://\(clip.path)", settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { session.state == .finished })
            let counters = session.counters
            // 10 fps slots over 30000/1001 fps: every third frame (PTS 0, 100.1 ms, ...): ceil(275 / 3).
            XCTAssertEqual(counters.captured, 92)
            XCTAssertEqual(counters.decoded, 275)
            XCTAssertEqual(counters.droppedByRateCap, 275 - 92)
            XCTAssertEqual(counters.droppedBehind, 0, "unpaced playback waits for the consumer")
        }
        // Unpaced: stamps are not real instants, but their spacing is still the kept frames' PTS spacing.
        let records = recorder.records
        for (a, b) in zip(records, records.dropFirst()) {
            XCTAssertEqual(Double(b.captureMonotonicNs - a.captureMonotonicNs), 3 * Self.frameIntervalNs, accuracy: 1_000)
        }
    }

    func testFractionalRateCapKeepsAtMostOneFramePerSlot() throws {
        let recorder = FrameRecorder()
        try withSession("file://\(clip.path)", settings: CaptureSettings(pixelFormat: .gray8, maxWidth: 160, maxFps: 2.5, pacing: .unpaced),
                        recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { session.state == .finished })
            let counters = session.counters
            XCTAssertEqual(counters.captured + counters.droppedByRateCap, 275)
        }
        // 9.14 s of PTS in 400 ms slots: 23 or 24 slots touched, depending on where the clock's
        // slot boundaries fall; videorate (rounded up to 3 fps) keeps frames >= 333 ms apart.
        let records = recorder.records
        XCTAssertTrue((22...24).contains(records.count), "\(records.count) frames")
        for (a, b) in zip(records, records.dropFirst()) {
            XCTAssertGreaterThan(b.captureMonotonicNs - a.captureMonotonicNs, 333_000_000)
            XCTAssertNotEqual(b.captureMonotonicNs / 400_000_000, a.captureMonotonicNs / 400_000_000)
        }
    }

    func testGrayFramesScaledDownToMaxWidth() throws {
        let recorder = FrameRecorder()
        let settings = CaptureSettings(pixelFormat: .gray8, maxWidth: 320, pacing: .unpaced)
        try withSession("file://\(clip.path)", settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { session.state == .finished })
            XCTAssertEqual(session.counters.captured, UInt64(Self.clipFrames))
        }
        let frame = try XCTUnwrap(recorder.lastFrame)
        XCTAssertEqual(frame.pixelFormat, .gray8)
        XCTAssertEqual(frame.width, 320)
        XCTAssertEqual(frame.height, 180, "aspect ratio kept")
        XCTAssertEqual(frame.stride, 320)
        XCTAssertEqual(frame.pixels.count, 320 * 180)
        XCTAssertGreaterThan(Set(frame.pixels).count, 32, "a gray picture has many luma levels")
    }

    func testLoopingFileStartsOverWithoutRebuilding() throws {
        let recorder = FrameRecorder()
        let settings = CaptureSettings(pixelFormat: .gray8, maxWidth: 160, pacing: .unpaced)
        try withSession("file://\(clip.path)?loop=true", settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { recorder.count > Self.clipFrames + 50 }, "no frames after the end of the clip")
            XCTAssertEqual(session.state, .running)
            XCTAssertEqual(session.counters.restarts, 0)
        }
        let seqs = recorder.records.map(\.seq)
        XCTAssertEqual(seqs, Array(1...UInt64(seqs.count)), "seq continues across the loop")
    }

    /// The photo-held-up attack as TestSupport renders it for the liveness scenarios: the
    /// capture plays it through `file://` like any clip, at its own 10 frames/s, at 720p.
    func testRenderedPhotoMotionVideoPlaysInRealTime() throws {
        let dir = TemporaryDirectory(prefix: "fg-pv")
        let file = dir.file("obama-tilting.mp4")
        try PhotoMotionVideo.member("obama.jpg", motion: .tilting, settings: .init(duration: 2)).write(to: file)
        let recorder = FrameRecorder()
        try withSession("file://\(file.path)", recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 60) { session.state == .finished }, "video did not reach its end; state \(session.state)")
            XCTAssertEqual(session.counters.decoded, 20, "2 s at 10 frames/s")
            XCTAssertEqual(session.counters.captured + session.counters.droppedBehind, 20)
            XCTAssertEqual(session.counters.restarts, 0)
        }
        let records = recorder.records
        XCTAssertGreaterThanOrEqual(records.count, 18)
        for record in records {
            XCTAssertEqual(record.width, 1280)
            XCTAssertEqual(record.height, 720)
        }
        let span = Double(records.last!.captureMonotonicNs - records.first!.captureMonotonicNs) / 1e9
        XCTAssertEqual(span, Double(records.count - 1) / 10, accuracy: 0.21, "played in real time, 100 ms apart")
    }
}
