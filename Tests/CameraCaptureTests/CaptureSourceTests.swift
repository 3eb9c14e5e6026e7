@testable import CameraCapture
import TestSupport
import XCTest

final class CaptureSourceTests: XCTestCase {
    func testParsesEveryScheme() throws {
        XCTAssertEqual(try CaptureSource(uri: "rtsp://cam.local:8554/stream?profile=1"),
                       .rtsp(url: "rtsp://cam.local:8554/stream?profile=1", transport: .tcp, latencyMs: CaptureSource.defaultRTSPLatencyMs))
        XCTAssertEqual(try CaptureSource(uri: "rtsp://u:p@10.0.0.5/h264#transport=udp&latency=50"),
                       .rtsp(url: "rtsp://u:p@10.0.0.5/h264", transport: .udp, latencyMs: 50))
        XCTAssertEqual(try CaptureSource(uri: "v4l2:///dev/video2"), .v4l2(device: "/dev/video2", width: nil, height: nil, fps: nil))
        XCTAssertEqual(try CaptureSource(uri: "v4l2:///dev/video0?width=1280&height=720&fps=15"),
                       .v4l2(device: "/dev/video0", width: 1280, height: 720, fps: 15))
        XCTAssertEqual(try CaptureSource(uri: "file:///srv/clips/door%20cam.mp4?loop"), .file(path: "/srv/clips/door cam.mp4", loop: true))
        XCTAssertEqual(try CaptureSource(uri: "file:///a.mkv"), .file(path: "/a.mkv", loop: false))
        XCTAssertEqual(try CaptureSource(uri: "image:///p/obama.jpg?seconds=2.5&fps=5"), .image(path: "/p/obama.jpg", seconds: 2.5, fps: 5))
        XCTAssertEqual(try CaptureSource(uri: "image:///p/obama.jpg"), .image(path: "/p/obama.jpg", seconds: nil, fps: 10))
        XCTAssertEqual(try CaptureSource(uri: "test://"), .test(pattern: "smpte", width: 640, height: 480, fps: 30))
        XCTAssertEqual(try CaptureSource(uri: "test://ball?width=320&height=240&fps=5"), .test(pattern: "ball", width: 320, height: 240, fps: 5))
        XCTAssertEqual(try CaptureSource(uri: "test://?pattern=snow"), .test(pattern: "snow", width: 640, height: 480, fps: 30))
        XCTAssertEqual(try CaptureSource(uri: "test:"), .test(pattern: "smpte", width: 640, height: 480, fps: 30))
        XCTAssertEqual(try CaptureSource(uri: "test:ball?fps=5"), .test(pattern: "ball", width: 640, height: 480, fps: 5))
        XCTAssertEqual(try CaptureSource(uri: "rtsp://cam/x#transport=auto"), .rtsp(url: "rtsp://cam/x", transport: .auto, latencyMs: 200))
        XCTAssertTrue(try CaptureSource(uri: "rtsp://h/x").isLive)
        XCTAssertFalse(try CaptureSource(uri: "file:///x.mp4").isLive)
    }

    func testBadURIsNameWhatIsWrong() {
        func error(_ uri: String) -> String {
            do {
                _ = try CaptureSource(uri: uri)
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(error("http://cam/x"), "camera source scheme 'http://' is not supported (rtsp, v4l2, file, image, test)")
        XCTAssertTrue(error("/dev/video0").contains("expected scheme://"))
        XCTAssertTrue(error("rtsp:///nohost").contains("needs a host"))
        XCTAssertEqual(error("rtsp://cam/x#transport=sctp"),
                       "camera source option transport='sctp' for rtsp:// is invalid: expected tcp or udp or auto")
        XCTAssertTrue(error("rtsp://cam/x#latency=-3").contains("latency='-3'"))
        XCTAssertEqual(error("file:///x.mp4?lop=1"), "camera source option 'lop' is not known for file://")
        XCTAssertTrue(error("file://clip.mp4").contains("absolute path"))
        XCTAssertTrue(error("file:///x.mp4?loop=maybe").contains("expected true or false"))
        XCTAssertTrue(error("image:///a.jpg?fps=0").contains("fps='0'"))
        XCTAssertTrue(error("test://plaid").contains("pattern='plaid'"))
        XCTAssertTrue(error("file:///clips/a#b.mp4").contains("write %23"))
        XCTAssertEqual(try? CaptureSource(uri: "file:///a b.mp4"), .file(path: "/a b.mp4", loop: false), "a raw space is taken literally")
    }

    func testLogDescriptionHidesTheCameraPassword() throws {
        let source = try CaptureSource(uri: "rtsp://admin:s3cret@10.0.0.5/h264")
        XCTAssertFalse(source.logDescription.contains("s3cret"))
        XCTAssertTrue(source.logDescription.contains("admin:***@10.0.0.5"))
    }

    /// Every source kind and option combination yields a pipeline GStreamer can build (all its
    /// elements exist and all properties are valid), without needing a camera to be present.
    func testEveryPipelineDescriptionBuildsInGStreamer() throws {
        let uris = [
            "rtsp://127.0.0.1:1/x", "rtsp://127.0.0.1:1/x#transport=udp&latency=0", "rtsp://127.0.0.1:1/x#transport=auto",
            "v4l2:///dev/video9", "v4l2:///dev/video9?width=640&height=480&fps=15",
            "file:///nonexistent.mp4", "file:///nonexistent.mp4?loop=1",
            "image:///nonexistent.jpg", "image:///nonexistent.jpg?seconds=1&fps=3",
            "test://ball",
        ]
        let settingsList = [
            CaptureSettings(),
            CaptureSettings(pixelFormat: .gray8, maxWidth: 640, maxFps: 5),
            CaptureSettings(maxFps: 2, pacing: .unpaced),
            CaptureSettings(maxFps: 0.5),
        ]
        for uri in uris {
            for settings in settingsList {
                let description = PipelineDescription(source: try CaptureSource(uri: uri), settings: settings)
                XCTAssertNoThrow(try CapturePipeline(description: description, pixelFormat: settings.pixelFormat),
                                 "\(uri): \(description.launch)")
            }
        }
        // The fallback chain for GStreamer older than 1.22 builds too.
        let old = PipelineDescription(source: .test(pattern: "ball", width: 64, height: 48, fps: 5),
                                      settings: CaptureSettings(maxWidth: 32), hasConvertScale: false)
        XCTAssertTrue(old.launch.contains("videoconvert name=fg_convert ! videoscale"))
        XCTAssertNoThrow(try CapturePipeline(description: old, pixelFormat: .rgb24))
    }

    func testLiveSourcesDropWhileFilesPlayInRealTime() throws {
        let live = PipelineDescription(source: try CaptureSource(uri: "rtsp://cam/x"), settings: CaptureSettings(maxFps: 5))
        XCTAssertTrue(live.launch.contains("videorate name=fg_rate drop-only=true max-rate=5 ! queue name=fg_queue leaky=downstream max-size-buffers=1"))
        XCTAssertTrue(live.launch.hasSuffix("appsink name=fg_sink max-buffers=1 drop=true sync=false enable-last-sample=false"))
        XCTAssertFalse(live.launch.contains("rtsp://cam"), "the URL is set as a property, never spliced into launch syntax")
        let file = PipelineDescription(source: try CaptureSource(uri: "file:///x.mp4"), settings: CaptureSettings())
        XCTAssertFalse(file.launch.contains("leaky"))
        XCTAssertTrue(file.launch.hasSuffix("drop=true sync=true enable-last-sample=false"))
    }

    func testMissingFileFailsAndIsRetriedNotFatal() throws {
        let recorder = FrameRecorder()
        let settings = CaptureSettings(restartBackoffInitial: 0.05, restartBackoffMaximum: 0.1)
        try withSession("file:///nonexistent/facegate-missing.mp4", settings: settings, recorder: recorder) { session in
            XCTAssertTrue(waitUntil(timeout: 20) { session.counters.restarts >= 2 }, "a failing source is rebuilt with backoff")
            XCTAssertEqual(recorder.count, 0)
        }
    }
}
