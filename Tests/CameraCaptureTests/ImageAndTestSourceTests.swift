import CameraCapture
import TestSupport
import XCTest

final class ImageAndTestSourceTests: XCTestCase {
    func testPhotoIsShownForItsDurationAtItsRateScaledTo640() throws {
        let recorder = FrameRecorder()
        let photo = Paths.face("obama-720p.jpg")   // 1280x720
        try withSession("image://\(photo.path)?seconds=1&fps=10", settings: CaptureSettings(maxWidth: 640), recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 30) { session.state == .finished }, "photo source did not end; state \(session.state)")
            let counters = session.counters
            XCTAssertEqual(counters.captured + counters.droppedBehind, 10, "1 s at 10 fps")
            XCTAssertGreaterThanOrEqual(counters.captured, 8)
        }
        let frame = try XCTUnwrap(recorder.lastFrame)
        XCTAssertEqual(frame.width, 640)
        XCTAssertEqual(frame.height, 360)
        XCTAssertEqual(frame.stride, 1920)
        XCTAssertGreaterThan(Set(frame.pixels).count, 64, "a photo has many byte values")
        recorder.assertStampsMonotonicAndBounded()
        let records = recorder.records
        let span = Double(records.last!.captureMonotonicNs - records.first!.captureMonotonicNs) / 1e9
        XCTAssertEqual(span, Double(records.count - 1) / 10, accuracy: 0.21, "frames 100 ms apart in real time")
    }

    func testPhotoNarrowerThanMaxWidthIsNotScaledUp() throws {
        let recorder = FrameRecorder()
        let photo = Paths.face("obama-240p.jpg")
        try withSession("image://\(photo.path)?seconds=0.3&fps=10", settings: CaptureSettings(maxWidth: 640), recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 30) { session.state == .finished })
        }
        let frame = try XCTUnwrap(recorder.lastFrame)
        XCTAssertEqual(frame.height, 240)
        XCTAssertLessThan(frame.width, 640)
    }

    func testLiveTestSourceStampsWithinBoundAndHonoursRateCap() throws {
        let recorder = FrameRecorder()
        try withSession("test://ball?width=320&height=240&fps=30", settings: CaptureSettings(maxFps: 5), recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= 8 })
            XCTAssertGreaterThan(session.counters.droppedByRateCap, 0)
        }
        recorder.assertStampsMonotonicAndBounded()
        // A perfect 30 fps grid capped at 5 fps keeps every sixth frame: 200 ms apart (or a
        // multiple, if this busy machine stalled the handler and a kept frame was replaced).
        let records = recorder.records
        for (a, b) in zip(records, records.dropFirst()) {
            let gapMs = Double(b.captureMonotonicNs - a.captureMonotonicNs) / 1e6
            XCTAssertGreaterThanOrEqual((gapMs / 200).rounded(), 1)
            XCTAssertEqual(gapMs, 200 * (gapMs / 200).rounded(), accuracy: 1, "capture times off the source's 30 fps grid")
        }
        XCTAssertEqual(records.first?.width, 320)
    }
}
