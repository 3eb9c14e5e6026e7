import Foundation
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The real facegate-capture executable against a test broker on a Unix socket.
final class CaptureProcessTests: XCTestCase {
    static let executable = Paths.executable("facegate-capture")

    private func startCapture(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:],
                              name: String = "capture") throws -> ChildProcess {
        try ChildProcess(Self.executable, arguments, environment: environment, logDirectory: directory.url, name: name)
    }

    func testSendsHelloFramesAndHeartbeatsServesStatusAndStopsOnSIGTERM() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        let broker = try TestBroker(path: dir.file("capture.sock").path)
        let capture = try startCapture(["--camera", "cam-t", "--source", "test://ball?width=320&height=240&fps=30",
                                        "--socket", broker.path, "--fps", "10", "--control", dir.file("capture-cam-t.ctl").path], in: dir)
        XCTAssertTrue(waitUntil(timeout: 30) { broker.frames.count >= 10 && !broker.heartbeats.isEmpty }, capture.log)

        let hello = try XCTUnwrap(broker.hellos.first)
        XCTAssertEqual(hello.role, .capture)
        XCTAssertEqual(hello.camera, "cam-t")
        XCTAssertEqual(hello.pid, UInt32(capture.pid))
        let frames = broker.frames
        for frame in frames {
            XCTAssertEqual(frame.format, .rgb24)
            XCTAssertEqual(frame.width, 320)
            XCTAssertEqual(frame.height, 240)
            XCTAssertEqual(frame.pixelCount, 960 * 240)
            // Capture time is on this host's CLOCK_MONOTONIC: stamped before we received it, and recently.
            XCTAssertGreaterThanOrEqual(frame.ageNs, 0)
            XCTAssertLessThan(frame.ageNs, 1_000_000_000)
        }
        for (a, b) in zip(frames, frames.dropFirst()) {
            XCTAssertGreaterThan(b.sequence, a.sequence)
            // --fps 10 on a 30 fps source: every third frame, 100 ms apart in capture time (a
            // multiple when a frame was dropped on a stalled machine).
            let gapMs = Double(b.captureMonotonicNs - a.captureMonotonicNs) / 1e6
            XCTAssertGreaterThanOrEqual((gapMs / 100).rounded(), 1)
            XCTAssertEqual(gapMs, 100 * (gapMs / 100).rounded(), accuracy: 1)
        }
        XCTAssertGreaterThan(broker.counter("frames_sent") ?? 0, 0)
        XCTAssertGreaterThan(broker.counter("dropped_rate_cap") ?? 0, 0)

        // Status over the control socket, as `facegate status` asks for it.
        let admin = try MessageConnection.connect(path: dir.file("capture-cam-t.ctl").path,
                                                  hello: Hello(role: .admin, name: "test", pid: UInt32(getpid())), expecting: [.capture])
        try admin.send(.statusRequest)
        guard case let .statusReply(reply) = try admin.receive() else { return XCTFail("no status reply") }
        admin.close()
        let status = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as? [String: Any])
        XCTAssertEqual(status["camera"] as? String, "cam-t")
        XCTAssertEqual(status["broker_connected"] as? Bool, true)
        XCTAssertEqual(status["camera_state"] as? String, "running")
        let counters = try XCTUnwrap(status["counters"] as? [String: Any])
        XCTAssertGreaterThan((counters["frames_sent"] as? NSNumber)?.intValue ?? 0, 0)

        XCTAssertEqual(capture.terminate(), 0, capture.log)
        XCTAssertTrue(capture.log.contains("facegate-capture stopped"), capture.log)
    }

    func testDropsFramesWhileTheBrokerIsAwayAndReconnectsForever() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        let path = dir.file("capture.sock").path
        // Capture first, broker later: capture must keep trying.
        let capture = try startCapture(["--camera", "cam-r", "--source", "test://ball?width=160&height=120&fps=20", "--socket", path], in: dir)
        XCTAssertTrue(capture.waitForLog("broker unavailable", timeout: 30), capture.log)

        var broker: TestBroker? = try TestBroker(path: path)
        XCTAssertTrue(waitUntil(timeout: 30) { broker!.frames.count >= 5 }, capture.log)
        broker!.stop()
        let lastBefore = try XCTUnwrap(broker!.frames.last)
        broker = nil
        XCTAssertTrue(capture.waitForLog("broker connection lost", timeout: 30), capture.log)
        Thread.sleep(forTimeInterval: 2.5)   // the broker stays away for a while; frames keep coming meanwhile
        XCTAssertTrue(capture.isRunning)

        let second = try TestBroker(path: path)
        XCTAssertTrue(waitUntil(timeout: 30) { second.frames.count >= 5 && second.heartbeats.count >= 1 }, capture.log)
        XCTAssertEqual(second.hellos.first?.camera, "cam-r")
        let firstAfter = try XCTUnwrap(second.frames.first)
        // Nothing was kept for the new broker: the first frame it gets is fresh (a kept one
        // would be >= 2.5 s old), and the numbers skipped are the frames captured while no
        // broker listened (>= 2.5 s at 20 fps).
        XCTAssertLessThan(firstAfter.ageNs, 1_500_000_000, "a buffered old frame was sent after reconnecting")
        XCTAssertGreaterThan(firstAfter.sequence - lastBefore.sequence, 30)
        XCTAssertGreaterThanOrEqual(second.counter("broker_reconnects") ?? 0, 1)
        XCTAssertGreaterThan(second.counter("dropped_broker_away") ?? 0, 30)
        XCTAssertEqual(capture.terminate(), 0)
    }

    func testSlowBrokerNeverMakesFrameAgeGrow() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        // Reads one 640x480 RGB frame (900 KiB, more than the socket buffers hold) per 250 ms
        // from a 30 fps camera: a queue anywhere would make frames ever older.
        let broker = try TestBroker(path: dir.file("capture.sock").path, frameDelay: 0.25)
        let capture = try startCapture(["--camera", "cam-s", "--source", "test://ball?width=640&height=480&fps=30",
                                        "--socket", broker.path], in: dir)
        XCTAssertTrue(waitUntil(timeout: 60) { broker.frames.count >= 20 }, capture.log)
        let ages = broker.frames.map(\.ageNs)
        print("frame age at receipt with a slow broker (ms):", ages.map { $0 / 1_000_000 })
        // Bounded by one frame in the slot + one being written + one read delay (about 300 ms
        // here), not by how long the test runs: with a queue anywhere, frame k would be
        // k * (250 - 33) ms old, over 4 s by the 20th.
        for age in ages.dropFirst(2) { XCTAssertLessThan(age, 2_000_000_000) }
        let lastFive = ages.suffix(5), firstFive = ages.dropFirst(2).prefix(5)
        XCTAssertLessThan(lastFive.max()!, firstFive.max()! + 500_000_000, "frame age grows with time")
        XCTAssertGreaterThan(broker.counter("dropped_replaced") ?? 0, 0, "frames were replaced, not queued")
        XCTAssertEqual(capture.terminate(), 0)
    }

    func testFramesAboveTheBrokersLimitAreDroppedNotSent() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        let broker = try TestBroker(path: dir.file("capture.sock").path)
        // 320x240 RGB is 230 KB; a 100 KB limit must keep every frame off the wire.
        let capture = try startCapture(["--camera", "cam-big", "--source", "test://?width=320&height=240&fps=10",
                                        "--socket", broker.path, "--max-frame-bytes", "100000"], in: dir)
        XCTAssertTrue(waitUntil(timeout: 30) { (broker.counter("dropped_too_large") ?? 0) >= 5 }, capture.log)
        XCTAssertTrue(broker.frames.isEmpty)
        XCTAssertTrue(capture.log.contains("frame larger than the broker's message limit"), capture.log)
        XCTAssertEqual(capture.terminate(), 0)
    }

    func testNotifiesSystemdReadyWatchdogAndStopping() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        let notify = NotifySocket(path: dir.file("notify").path)
        let capture = try startCapture(["--camera", "cam-n", "--source", "test://?width=64&height=48&fps=5",
                                        "--socket", dir.file("absent.sock").path], in: dir,
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        XCTAssertTrue(waitUntil(timeout: 30) { notify.messages.contains { $0.hasPrefix("READY=1") } }, capture.log)
        XCTAssertTrue(waitUntil(timeout: 30) { notify.messages.filter { $0 == "WATCHDOG=1" }.count >= 2 }, capture.log)
        XCTAssertEqual(capture.terminate(), 0)
        XCTAssertTrue(waitUntil(timeout: 5) { notify.messages.contains("STOPPING=1") })
    }

    func testReadsItsCameraFromTheConfigFile() throws {
        let dir = TemporaryDirectory(prefix: "fg-cap")
        let config = dir.file("facegate.toml")
        try """
        [runtime]
        sockets_dir = "\(dir.path)"

        [[cameras]]
        id = "door-1"
        source = "test:ball?width=320&height=240&fps=30"
        fps = 5
        max_width = 160
        pixel_format = "gray"
        """.write(to: config, atomically: true, encoding: .utf8)
        let broker = try TestBroker(path: dir.file("capture.sock").path)
        let capture = try startCapture(["--config", config.path, "--camera", "door-1"], in: dir)
        XCTAssertTrue(waitUntil(timeout: 30) { broker.frames.count >= 3 }, capture.log)
        XCTAssertEqual(broker.hellos.first?.camera, "door-1")
        let frame = try XCTUnwrap(broker.frames.last)
        XCTAssertEqual(frame.format, .gray8)
        XCTAssertEqual(frame.width, 160)
        XCTAssertEqual(frame.height, 120)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("capture-door-1.ctl").path), "control socket from [runtime]")
        XCTAssertEqual(capture.terminate(), 0)

        let wrong = try startCapture(["--config", config.path, "--camera", "door-9"], in: dir, name: "wrong")
        XCTAssertEqual(wrong.waitForExit(timeout: 30), 2)
        XCTAssertTrue(wrong.log.contains("no [[cameras]] entry with id \"door-9\" (cameras: door-1)"), wrong.log)
    }
}
