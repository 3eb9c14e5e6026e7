import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// SCENARIOS.md S14-S16: what arrives from outside is stale or malformed.
final class InputScenarioTests: ScenarioCase {
    /// S14: a retained {"occupancy":true} sits on DC001's topic when the broker connects; obama
    /// shown → nothing (a retained message describes the past).
    func testS14RetainedStateOpensNothing() throws {
        let p = try makePipeline(startBroker: false)
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#, retain: true)
        try p.startBroker()
        try p.startRecognizer("r1")
        XCTAssertTrue(p.broker!.waitForLine("msg=\"occupancy true\"", "lock=DC001", "retained=true"), p.dump())
        p.begin()
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: 4), p.dump())
        assertSettledUnlocks(p, [:])
        XCTAssertEqual(framesAdmitted(p), 0)
        XCTAssertEqual(audit(p).count, 0)
    }

    /// S15: non-JSON, "occupancy":"yes", a 1 MB payload and an unknown lock's topic; then S1.
    func testS15BadMQTTInputThenS1() throws {
        let p = try makePipeline()
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: "not json")
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":"yes"}"#)
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC006", payload: [UInt8](repeating: 0x41, count: 1 << 20))
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC999", text: #"{"occupancy":true}"#)
        try p.mosquitto.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true"#)
        let broker = try XCTUnwrap(p.broker)
        XCTAssertTrue(broker.waitForLine("payload is not JSON", "lock=DC006"), p.dump())
        XCTAssertTrue(broker.waitForLine("\\\"occupancy\\\" is a string, not a boolean"), p.dump())
        XCTAssertTrue(broker.waitForLine("msg=\"message too large, ignored\"", "bytes=1048576"), p.dump())
        XCTAssertTrue(broker.waitForLine("payload is not JSON", "lock=DC001"), p.dump())
        XCTAssertEqual(p.brokerLines("msg=\"occupancy true\"").count, 0, "no bad message opened a session")

        // Then S1.
        p.begin()
        try playS1(p)
        XCTAssertEqual(audit(p).first { $0.kind == .unlock }?.unlockedLocks, ["DC006"])
        XCTAssertTrue(broker.isRunning)
        XCTAssertEqual(try audit(p).first?.snapshot()?.triggeredLocks, ["DC006"])
    }

    /// S16: random bytes, an oversize length, a wrong protocol version and a truncated frame on
    /// every socket of every process; each bad connection is closed with a log line, no process
    /// exits; then S1.
    func testS16BadSocketInputThenS1() throws {
        let p = try makePipeline()
        try p.showNoFace(waitForFrame: true)
        let capture = try XCTUnwrap(p.capture), recognizer = try XCTUnwrap(p.recognizers["r1"]), broker = try XCTUnwrap(p.broker)
        let dir = p.socketsDirectory
        let targets: [(path: String, process: ChildProcess, role: PeerRole)] = [
            ("\(dir)/capture.sock", broker, .capture),
            ("\(dir)/recognizer.sock", broker, .recognizer),
            ("\(dir)/broker.ctl", broker, .admin),
            ("\(dir)/capture-cam-a.ctl", capture, .admin),
            ("\(dir)/recognizer-r1.ctl", recognizer, .admin),
        ]
        for target in targets {
            XCTAssertTrue(FileManager.default.fileExists(atPath: target.path), "\(target.path) is not served")
            let hello = Hello(role: target.role, name: "bad-peer", pid: UInt32(getpid()),
                              camera: target.role == .capture ? PipelineOptions.camera : "")
            let frame = VideoFrame(camera: PipelineOptions.camera, sequence: 1, captureMonotonicNs: 1, captureWallNs: 1,
                                   format: .gray8, width: 8, height: 8, stride: 8, pixels: PixelData([UInt8](repeating: 0, count: 64)))
            var wrongVersion = hello
            wrongVersion.version = 99
            let streams: [(String, [UInt8])] = [
                ("random bytes", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }),
                ("oversize length", [0x7f, 0xff, 0xff, 0xf0] + [UInt8](repeating: 1, count: 64)),
                ("wrong protocol version", MessageCodec.encodeFrame(.hello(wrongVersion))),
                ("truncated frame", MessageCodec.encodeFrame(.hello(hello)) + Array(MessageCodec.encodeFrame(.frame(frame)).dropLast(20))),
            ]
            for (what, bytes) in streams {
                let closing = ["msg=\"closing connection: ", "socket=\(target.path) "]
                let before = target.process.lines(containing: closing[0], closing[1]).count
                let socket = try UnixSocket.connect(path: target.path)
                try? socket.writeAll(bytes)
                socket.shutdownWrite()
                socket.setReceiveTimeout(seconds: 15)
                var sink = [UInt8](repeating: 0, count: 4096)
                var closed = false
                while let n = try? sink.withUnsafeMutableBytes({ try socket.read(into: $0) }) {
                    if n == 0 { closed = true; break }
                }
                socket.close()
                XCTAssertTrue(closed, "\(target.path) kept the connection with \(what) open")
                let logged = waitUntil(timeout: 10) { target.process.lines(containing: closing[0], closing[1]).count > before }
                XCTAssertTrue(logged, "\(target.process.name) did not log closing the connection with \(what) on \(target.path)")
            }
        }
        for child in [capture, recognizer, broker] { XCTAssertTrue(child.isRunning, "\(child.name) exited\n\(child.log)") }

        // Then S1, with the processes that took the garbage.
        p.begin()
        try playS1(p)
        XCTAssertTrue(recognizer.isRunning && broker.isRunning)
        XCTAssertEqual(p.lines(of: "recognizer-r1-", "msg=\"connected to broker\"").count, 1, "the recognizer never had to reconnect")
    }
}
