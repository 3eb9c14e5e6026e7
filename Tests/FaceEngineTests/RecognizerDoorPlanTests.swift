import FaceEngine
import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// The recognizer scans each camera's frames by its `[[cameras]]` entry: `min_face_px` and,
/// when every lock has one, the zones (issue 12). Checked on the real process fed a 720p
/// frame whose one face is 186 px across.
final class RecognizerDoorPlanTests: XCTestCase {
    func testMinFacePxAndZonesOfTheFrameCameraDecideWhatIsFound() throws {
        let image = try EngineFixture.photo("obama-720p.jpg")
        let engine = try EngineFixture.fivePoint.get()
        let size = ImageSize(width: image.width, height: image.height)
        // The face's centre is near (0.52, 0.27) of the frame.
        let zone = "zones = { DC001 = [0.45, 0.2, 0.6, 0.35] }\n"
        for (camera, expected) in [
            ("min_face_px = 150\n", DoorDetection(minFacePx: 150)),
            ("min_face_px = 150\n" + zone, DoorDetection(minFacePx: 150, zones: [try NormalizedRect(minX: 0.45, minY: 0.2, maxX: 0.6, maxY: 0.35)])),
            ("min_face_px = 1000\n", DoorDetection(minFacePx: 1000)),
        ] {
            let faces = try recognize(image, cameraLines: camera)
            let want = try engine.detect(image: image, plan: expected.plan(frame: size, upsample: 1))
            XCTAssertEqual(faces.map(\.box), want.map(\.box), camera)
            if camera.hasPrefix("min_face_px = 1000") {
                XCTAssertEqual(faces.count, 0, "a 186 px face is smaller than the door asks for: not looked for")
            } else {
                XCTAssertEqual(faces.count, 1, camera)
            }
        }
    }

    private func recognize(_ image: Image, cameraLines: String) throws -> [DetectedFace] {
        let dir = TemporaryDirectory(prefix: "fgdp")
        let config = dir.file("facegate.toml")
        try """
            [runtime]
            sockets_dir = "\(dir.url.path)"
            tap = false

            [[locks]]
            id = "DC001"

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001"]
            \(cameraLines)
            [recognizer]
            models_dir = "\(Paths.modelsDirectory.path)"
            """.write(to: config, atomically: true, encoding: .utf8)
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try ChildProcess(Paths.executable("facegate-recognizer"),
                                          ["--config", config.path, "--name", "t1", "--heartbeat-seconds", "0.5"],
                                          environment: ["FACEGATE_LOG_LEVEL": "debug"], logDirectory: dir.url)
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1, recognizer.log)
        let captured = MonotonicClock.nowNanoseconds()
        let frame = VideoFrame(camera: "cam-a", sequence: 1, captureMonotonicNs: captured,
                               captureWallNs: WallClock.nowNanoseconds(), format: .rgb24, width: UInt32(image.width),
                               height: UInt32(image.height), stride: UInt32(image.stride), pixels: PixelData(image.bytes))
        try connection.send(.detect(Detect(txn: 1, snapshot: Snapshot(captureMonotonicNs: captured, motion: false,
                                                                       sessions: [SnapshotSession(sessionID: 7, lock: "DC001")]),
                                           frame: frame)))
        return try broker.nextResult(connection).faces
    }
}
