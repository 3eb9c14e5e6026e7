import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// The real facegate-tap executable between real socket peers.
final class TapToolTests: XCTestCase {
    let log = Log(component: "test")

    func frame(_ seq: UInt64) -> VideoFrame {
        // 3x2 RGB with 3 bytes of stride padding per row, to check the PPM drops padding.
        VideoFrame(camera: "cam-a", sequence: seq, captureMonotonicNs: 100 + seq, captureWallNs: 1, format: .rgb24,
                   width: 3, height: 2, stride: 12, pixels: PixelData((0..<24).map { UInt8($0) }))
    }

    func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func testProxyForwardsBothWaysAndPrintsEveryMessage() throws {
        let dir = TemporaryDirectory(prefix: "fgtap")
        let upstream = dir.file("up.sock").path, front = dir.file("front.sock").path
        let frames = dir.file("frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)

        // Upstream peer: a broker-role server answering each frame with a credit.
        let server = MessageServer(options: .init(path: upstream, localHello: Hello(role: .broker, name: "up", pid: 1),
                                                  acceptedRoles: [.capture]), log: log) { connection in
            while true {
                if case .frame = try connection.receive() { try connection.send(.credit(Credit(count: 1))) }
            }
        }
        try server.start()
        defer { server.stop() }

        let stdout = dir.file("tap.out")
        let tap = try ChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                   ["-c", "exec \"$0\" proxy \"$1\" \"$2\" --json --save-frames \"$3\" > \"$4\"",
                                    Paths.executable("facegate-tap").path, front, upstream, frames.path, stdout.path],
                                   logDirectory: dir.url, name: "tap")
        defer { tap.terminate() }
        XCTAssertTrue(waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: front) }, tap.log)

        let client = try MessageConnection.connect(path: front, hello: Hello(role: .capture, name: "c", pid: 2, camera: "cam-a"),
                                                   expecting: [.broker])
        defer { client.close() }
        XCTAssertEqual(client.peerHello?.name, "up", "the hello came through the proxy unchanged")
        for seq in 1...3 {
            try client.send(.frame(frame(UInt64(seq))))
            XCTAssertEqual(try client.receive(), .credit(Credit(count: 1)))
        }

        XCTAssertTrue(waitUntil(timeout: 10) { jsonLines((try? String(contentsOf: stdout, encoding: .utf8)) ?? "").count >= 8 })
        let lines = jsonLines(try String(contentsOf: stdout, encoding: .utf8))
        let kinds = lines.map { $0["kind"] as? String ?? "?" }
        XCTAssertEqual(kinds.filter { $0 == "hello" }.count, 2)
        XCTAssertEqual(kinds.filter { $0 == "frame" }.count, 3)
        XCTAssertEqual(kinds.filter { $0 == "credit" }.count, 3)
        let firstFrame = try XCTUnwrap(lines.first { $0["kind"] as? String == "frame" })
        XCTAssertEqual(firstFrame["seq"] as? Int, 1)
        XCTAssertEqual(firstFrame["camera"] as? String, "cam-a")
        XCTAssertEqual(firstFrame["peer"] as? String, "capture:cam-a->broker:up")
        // The saved image is a PPM of the 3x2 pixels without the stride padding.
        let ppm = try Data(contentsOf: frames.appendingPathComponent("cam-a-1.ppm"))
        XCTAssertEqual(Array(ppm), Array("P6\n3 2\n255\n".utf8) + Array(0..<9) + Array(12..<21))
    }

    func testAttachPrintsFilteredCopiesFromAControlSocket() throws {
        let dir = TemporaryDirectory(prefix: "fgtap")
        let path = dir.file("broker.ctl").path
        let hub = TapHub(log: log)
        let control = ControlServer(path: path, localHello: Hello(role: .broker, name: "b", pid: 1), log: log, hub: hub,
                                    status: { "{}" })
        try control.start()
        defer { control.stop() }

        let tap = try ChildProcess(Paths.executable("facegate-tap"), ["attach", path, "--kind", "detect,result", "--txn", "0000000000000007", "--count", "2"],
                                   logDirectory: dir.url, name: "tap")
        defer { tap.terminate() }
        XCTAssertTrue(waitUntil(timeout: 20) { hub.subscriberCount == 1 }, tap.log)

        var snapshot = Snapshot(captureMonotonicNs: 5, motion: false, sessions: [SnapshotSession(sessionID: 9, lock: "DC006")])
        hub.publish(.sent, peer: "recognizer:r1", .detect(Detect(txn: 6, snapshot: snapshot, frame: frame(1))))
        snapshot.landmarksWanted = true
        hub.publish(.sent, peer: "recognizer:r1", .detect(Detect(txn: 7, snapshot: snapshot, frame: frame(2))))
        hub.publish(.received, peer: "capture:cam-a", .frame(frame(3)))
        // Point k at (k, 2k): the eye centres are (38.5, 77) and (44.5, 89).
        let shape = try FaceLandmarks((0..<68).map { LandmarkPoint(x: Float($0), y: Float(2 * $0)) })
        let face = DetectedFace(box: FaceBox(left: 0, top: 0, right: 2, bottom: 1), quality: 0.5,
                                descriptor: try FaceDescriptor([Float](repeating: 0.1, count: 128)), landmarks: shape)
        hub.publish(.received, peer: "recognizer:r1",
                    .result(RecognitionResult(txn: 7, camera: "cam-a", sequence: 2, captureMonotonicNs: 102, detectMicros: 1,
                                              descriptorMicros: 2, faces: [face])))
        XCTAssertEqual(tap.waitForExit(timeout: 20), 0, tap.log)
        let lines = tap.log.split(separator: "\n").filter { !$0.hasPrefix("facegate-tap:") }
        XCTAssertEqual(lines.count, 2, tap.log)
        XCTAssertTrue(lines[0].hasPrefix("out recognizer:r1 detect txn=0000000000000007 camera=cam-a seq=2"), String(lines[0]))
        XCTAssertTrue(lines[0].hasSuffix("snapshot={DC006#9} landmarks=wanted"), String(lines[0]))
        XCTAssertTrue(lines[1].hasPrefix("in recognizer:r1 result txn=0000000000000007"), String(lines[1]))
        XCTAssertTrue(lines[1].hasSuffix("face0=(0,0,2,1) q=0.50 landmarks=68 eyes=(38.5,77.0)/(44.5,89.0)"), String(lines[1]))
    }

    func testAttachExitsCleanlyOnSIGTERM() throws {
        let dir = TemporaryDirectory(prefix: "fgtap")
        let path = dir.file("broker.ctl").path
        let hub = TapHub(log: log)
        let control = ControlServer(path: path, localHello: Hello(role: .broker, name: "b", pid: 1), log: log, hub: hub,
                                    status: { "{}" })
        try control.start()
        defer { control.stop() }
        let tap = try ChildProcess(Paths.executable("facegate-tap"), ["attach", path], logDirectory: dir.url, name: "tap")
        XCTAssertTrue(waitUntil(timeout: 20) { hub.subscriberCount == 1 }, tap.log)
        XCTAssertEqual(tap.terminate(), 0, tap.log)
    }

    func testUnknownKindIsAClearError() throws {
        let dir = TemporaryDirectory(prefix: "fgtap")
        let tap = try ChildProcess(Paths.executable("facegate-tap"), ["attach", "/nonexistent", "--kind", "bogus"],
                                   logDirectory: dir.url, name: "tap")
        XCTAssertNotEqual(tap.waitForExit(timeout: 20), 0)
        XCTAssertTrue(tap.log.contains("unknown kind 'bogus'"), tap.log)
    }
}
