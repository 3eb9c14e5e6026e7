import CameraCapture
import TestSupport
import XCTest

/// A real gst-rtsp-server on 127.0.0.1 serving the clip (non-shared media: every connection
/// gets the clip from its start). The clip lasts 9.2 s, so each check runs well inside that.
final class RtspCaptureTests: XCTestCase {
    let clip = Paths.face("short_hamilton_clip.mp4")
    /// Fast failure handling so recovery shows within a few seconds.
    let settings = CaptureSettings(noFrameTimeout: 2, restartBackoffInitial: 0.2, restartBackoffMaximum: 1)

    func testReadsOverTCPAndRecoversWhenTheServerIsKilledAndRestarted() throws {
        let logs = TemporaryDirectory(prefix: "fg-rtsp")
        let server = try RtspTestServer(file: clip, logDirectory: logs.url)
        let recorder = FrameRecorder()
        try withSession("\(server.url)#transport=tcp&latency=100", settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= 15 }, "no frames over RTSP/TCP; server log:\n\(server.process?.log ?? "")")
            let frame = try XCTUnwrap(recorder.lastFrame)
            XCTAssertEqual(frame.width, 640)
            XCTAssertEqual(frame.height, 360)
            recorder.assertStampsMonotonicAndBounded(earlySlackNs: 5_000_000)

            server.kill()
            XCTAssertTrue(waitUntil(timeout: 20) { session.counters.restarts >= 1 }, "a vanished camera must be noticed")
            let before = recorder.count
            try server.start()
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= before + 15 }, "capture did not recover after the server came back")
            XCTAssertEqual(session.state, .running)
        }
        let records = recorder.records
        for (a, b) in zip(records, records.dropFirst()) {
            XCTAssertGreaterThan(b.captureMonotonicNs, a.captureMonotonicNs, "capture times increase across the rebuild")
        }
    }

    func testReadsOverUDP() throws {
        let logs = TemporaryDirectory(prefix: "fg-rtsp")
        let server = try RtspTestServer(file: clip, logDirectory: logs.url)
        let recorder = FrameRecorder()
        try withSession("\(server.url)#transport=udp&latency=50", settings: settings, recorder: recorder) { _ in
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= 15 }, "no frames over RTSP/UDP")
        }
        recorder.assertStampsMonotonicAndBounded(earlySlackNs: 5_000_000)
    }

    func testDecodesH265AndMJPEGStreams() throws {
        for codec in ["h265", "mjpeg"] {
            let logs = TemporaryDirectory(prefix: "fg-rtsp")
            let server = try RtspTestServer(file: clip, codec: codec, logDirectory: logs.url)
            let recorder = FrameRecorder()
            try withSession(server.url, settings: CaptureSettings(pixelFormat: .gray8, maxWidth: 320, noFrameTimeout: 5),
                            recorder: recorder) { _ in
                XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= 20 }, "no \(codec) frames; server log:\n\(server.process?.log ?? "")")
            }
            recorder.assertStampsMonotonicAndBounded(earlySlackNs: 5_000_000)
            let frame = try XCTUnwrap(recorder.lastFrame)
            XCTAssertEqual(frame.width, 320, codec)
            XCTAssertEqual(frame.height, 180, codec)
            XCTAssertGreaterThan(Set(frame.pixels).count, 32, "\(codec) frame decoded to a real picture")
        }
    }

    func testWatchdogRebuildsAStalledCamera() throws {
        let logs = TemporaryDirectory(prefix: "fg-rtsp")
        let server = try RtspTestServer(file: clip, logDirectory: logs.url)
        let recorder = FrameRecorder()
        try withSession(server.url, settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= 5 })
            // SIGSTOP: the TCP connection stays open but nothing arrives, no error, no EOS.
            server.suspend()
            XCTAssertTrue(waitUntil(timeout: 20) { session.counters.restarts >= 1 }, "the no-frame watchdog must rebuild the pipeline")
            let before = recorder.count
            server.resume()
            XCTAssertTrue(waitUntil(timeout: 30) { recorder.count >= before + 5 }, "capture did not resume after the camera did")
        }
    }
}
