import BrokerCore
import Foundation
import GalleryStore
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// SCENARIOS.md on the real broker process (camera and recognizer played by test peers; see
/// BrokerHarness). Each test checks the MQTT commands the simulated locks received and the
/// audit rows.
final class BrokerTests: XCTestCase {
    func harness(_ options: BrokerHarness.Options = .init()) throws -> (BrokerHarness, TestCamera, TestRecognizer) {
        let h = try BrokerHarness(options)
        try h.startBroker()
        let camera = try TestCamera(socketsDirectory: h.socketsDirectory)
        let recognizer = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"), h.dump())
        return (h, camera, recognizer)
    }

    /// S1: DC006 touched; obama shown → exactly one unlock, of DC006.
    func testS1SingleTouchUnlocksTheTouchedLock() throws {
        let (h, camera, _) = try harness()
        try h.touch("DC006")
        try camera.show("obama2.jpg")
        let rows = h.waitForAudit(1)
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.unlocks("DC006"), [#"{"state":"UNLOCK"}"#])
        XCTAssertEqual(h.unlocks("DC001"), [])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].kind, .unlock)
        XCTAssertEqual(rows[0].member?.name, "obama")
        XCTAssertEqual(rows[0].unlockedLocks, ["DC006"])
        XCTAssertEqual(try rows[0].snapshot()?.triggeredLocks, ["DC006"])
        XCTAssertEqual(rows[0].camera, "cam-a")
    }

    /// S2: biden holds no grant for DC006.
    func testS2NoGrant() throws {
        let (h, camera, _) = try harness()
        try h.touch("DC006")
        try camera.show("biden2.jpg")
        let rows = h.waitForAudit(1)
        XCTAssertEqual(rows.first?.kind, .noGrant, h.dump())
        XCTAssertEqual(rows.first?.member?.name, "biden")
        XCTAssertTrue(rows.first?.reason.contains("DC006: no grant") ?? false, rows.first?.reason ?? "")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.allUnlocks(), [])
    }

    /// S3: a stranger.
    func testS3Stranger() throws {
        let (h, camera, _) = try harness()
        try h.touch("DC001")
        try camera.show("lin-manuel-miranda.png")
        let rows = h.waitForAudit(1)
        XCTAssertEqual(rows.first?.kind, .unknownFace, h.dump())
        XCTAssertNil(rows.first?.member)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.allUnlocks(), [])
    }

    /// S4 at the broker: no touch, no frame reaches the recognizer.
    func testS4NoTriggerNoRecognition() throws {
        let (h, camera, recognizer) = try harness()
        for _ in 0..<5 { try camera.show("obama2.jpg"); Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(recognizer.detectCount, 0)
        XCTAssertEqual(try h.auditRows().count, 0)
        XCTAssertEqual(h.allUnlocks(), [])
    }

    /// S6, the seed's Test 9: DC001 true @0, DC006 true @6, DC001 false @10, frame captured
    /// @13, DC006 false @16, recognizer stalled from @13.1 to @17 → DC006 only, snapshot {DC006}.
    func testS6OneLeavesUnlocksOnlyTheLockStillTouchedAtCapture() throws {
        let (h, camera, recognizer) = try harness(.init(scale: 0.3))
        let start = MonotonicClock.nowNanoseconds()
        try h.touch("DC001")
        h.at(6, since: start)
        try h.touch("DC006")
        // The simulated DC001 sends its false 10 s after its touch.
        XCTAssertTrue(h.broker.waitForLine("msg=\"occupancy false\"", "lock=DC001", timeout: 10), h.dump())
        h.at(13, since: start)
        recognizer.stall()
        try camera.show("obama2.jpg")
        XCTAssertTrue(waitUntil(timeout: 10) { recognizer.detectCount == 1 })
        // DC006's false arrives while the recognizer holds the frame.
        XCTAssertTrue(h.broker.waitForLine("msg=\"occupancy false\"", "lock=DC006", timeout: 10), h.dump())
        h.at(17, since: start)
        recognizer.resume()
        let rows = h.waitForAudit(1)
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.unlocks("DC006").count, 1)
        XCTAssertEqual(h.unlocks("DC001"), [], "DC001's session had ended before the capture")
        XCTAssertEqual(rows.first?.kind, .unlock)
        XCTAssertEqual(try rows.first?.snapshot()?.triggeredLocks, ["DC006"])
        XCTAssertEqual(recognizer.received.first?.snapshot.sessions.map(\.lock), ["DC006"])
    }

    /// S9: many matching frames in one session: one unlock; every frame audited.
    func testS9ManyMatchingFramesUnlockOnce() throws {
        let (h, camera, _) = try harness()
        try h.touch("DC006")
        for _ in 0..<20 { try camera.show("obama2.jpg"); Thread.sleep(forTimeInterval: 0.03) }
        let rows = h.waitForAudit(2)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(h.unlocks("DC006").count, 1, h.dump())
        XCTAssertEqual(h.unlocks("DC001"), [])
        let all = try h.auditRows()
        XCTAssertEqual(all.filter { $0.kind == .unlock }.count, 1)
        XCTAssertGreaterThan(all.filter { $0.kind == .alreadyUnlocked }.count, 0, "\(rows.map(\.kind))")
    }

    /// S13: a broker restart forgets the touch (state starts empty); a new touch works.
    func testS13BrokerRestartStartsEmpty() throws {
        let (h, camera, recognizer) = try harness()
        try h.touch("DC006")
        camera.close(); recognizer.close()
        XCTAssertEqual(h.broker.terminate(), 0, h.dump())
        try h.startBroker()
        let camera2 = try TestCamera(socketsDirectory: h.socketsDirectory)
        let recognizer2 = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"))
        try camera2.show("obama2.jpg")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(recognizer2.detectCount, 0, "no session is open after the restart")
        XCTAssertEqual(h.allUnlocks(), [])
        try h.touch("DC006")
        try camera2.show("obama2.jpg")
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        XCTAssertEqual(h.waitForAudit(1).first?.kind, .unlock)
    }

    /// S14: a retained occupancy:true waiting on the topic never opens a session.
    func testS14RetainedTrueIsIgnored() throws {
        let h = try BrokerHarness()
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#, retain: true)
        try h.startBroker()
        XCTAssertTrue(h.broker.waitForLog("retained=true"), h.dump())
        let camera = try TestCamera(socketsDirectory: h.socketsDirectory)
        let recognizer = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        _ = h.broker.waitForLog("recognizer:test-recognizer")
        try camera.show("obama2.jpg")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(recognizer.detectCount, 0)
        XCTAssertEqual(h.allUnlocks(), [])
    }

    /// S15: bad MQTT input is logged and ignored; S1 still works afterwards.
    func testS15BadMQTTInputIsIgnored() throws {
        let (h, camera, _) = try harness()
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: "not json")
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":"yes"}"#)
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":1}"#)
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC006", payload: [UInt8](repeating: 0x41, count: 1 << 20))
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC999", text: #"{"occupancy":true}"#)
        XCTAssertTrue(h.broker.waitForLog("payload is not JSON"), h.dump())
        XCTAssertTrue(h.broker.waitForLog("\\\"occupancy\\\" is a string, not a boolean"), h.dump())
        XCTAssertTrue(h.broker.waitForLog("\\\"occupancy\\\" is a number, not a boolean"), h.dump())
        XCTAssertTrue(h.broker.waitForLine("msg=\"message too large, ignored\"", "bytes=1048576"), h.dump())
        try camera.show("obama2.jpg")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.allUnlocks(), [], "no bad message opened a session")
        try h.touch("DC006")
        try camera.show("obama2.jpg")
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        XCTAssertTrue(h.broker.isRunning)
    }

    /// S16: garbage, oversize lengths, wrong versions and truncated frames on each socket
    /// close that connection only; S1 still works afterwards.
    func testS16BadSocketInputClosesOnlyThatConnection() throws {
        let (h, camera, _) = try harness()
        let sockets = ["capture.sock", "recognizer.sock", "broker.ctl"].map { h.socketsDirectory + "/" + $0 }
        let goodHello = MessageCodec.encodeFrame(.hello(Hello(role: .capture, name: "bad", pid: 1, camera: "cam-a")))
        let streams: [[UInt8]] = [
            (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 3) },
            [0x7f, 0xff, 0xff, 0xff, 0, 0],
            MessageCodec.encodeFrame(.hello(Hello(version: 99, role: .capture, name: "bad", pid: 1, camera: "cam-a"))),
            goodHello + Array(MessageCodec.encodeFrame(.frame(VideoFrame(camera: "cam-a", sequence: 1, captureMonotonicNs: 1,
                                                                         captureWallNs: 1, format: .gray8, width: 8, height: 8,
                                                                         stride: 8, pixels: PixelData([UInt8](repeating: 0, count: 64))))).dropLast(10)),
        ]
        for path in sockets {
            for bytes in streams {
                let socket = try UnixSocket.connect(path: path)
                try? socket.writeAll(bytes)
                socket.shutdownWrite()
                socket.setReceiveTimeout(seconds: 10)
                var sink = [UInt8](repeating: 0, count: 4096)
                var closed = false
                while let n = try? sink.withUnsafeMutableBytes({ try socket.read(into: $0) }) {
                    if n == 0 { closed = true; break }
                }
                XCTAssertTrue(closed, "\(path) kept a bad connection open")
                socket.close()
            }
        }
        XCTAssertTrue(h.broker.waitForLog("closing connection"), h.dump())
        XCTAssertTrue(h.broker.isRunning)
        try h.touch("DC006")
        try camera.show("obama2.jpg")
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
    }

    /// S19: a TOGGLE lock gets exactly one TOGGLE for many matching frames, also when the MQTT
    /// connection drops and comes back in the middle.
    func testS19ToggleDeliveredOnceAcrossReconnect() throws {
        let (h, camera, _) = try harness(.init(payloads: ["DC006": #"{"state":"TOGGLE"}"#]))
        try h.touch("DC006")
        for _ in 0..<5 { try camera.show("obama2.jpg"); Thread.sleep(forTimeInterval: 0.03) }
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        try h.mosquitto.restart(kill: true)
        XCTAssertTrue(h.broker.waitForLog("mqtt disconnected"), h.dump())
        XCTAssertTrue(waitUntil(timeout: 20) { h.broker.log.components(separatedBy: "msg=\"mqtt subscriptions active\"").count > 2 }, h.dump())
        for _ in 0..<5 { try camera.show("obama2.jpg"); Thread.sleep(forTimeInterval: 0.03) }
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertEqual(h.unlocks("DC006"), [#"{"state":"TOGGLE"}"#], h.dump())
        XCTAssertEqual(h.unlocks("DC001"), [])
    }

    /// A recognizer that takes credit and then stops reading (a hang, SIGSTOP) must not stall
    /// the camera nor the other recognizers: the broker writes to each recognizer from a
    /// thread of its own.
    func testAHungRecognizerBlocksNeitherCameraNorOtherRecognizers() throws {
        let h = try BrokerHarness()
        try h.startBroker()
        let camera = try TestCamera(socketsDirectory: h.socketsDirectory)
        let hung = try MessageConnection.connect(path: h.socketsDirectory + "/recognizer.sock",
                                                 hello: Hello(role: .recognizer, name: "hung", pid: 1), expecting: [.broker])
        try hung.send(.credit(Credit(count: 4))) // and never reads again
        XCTAssertTrue(h.broker.waitForLog("recognizer:hung"), h.dump())
        try h.touch("DC006")
        // 4 MB frames: far more than a socket buffer holds, so the sends to `hung` block.
        for _ in 0..<4 { try camera.show(nil, width: 2048, height: 2048) }
        let healthy = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"), h.dump())
        let start = MonotonicClock.nowNanoseconds()
        for _ in 0..<5 { try camera.show("obama2.jpg"); Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(h.locks.waitForRecords(timeout: 20) { _ in h.unlocks("DC006").count == 1 }, h.dump())
        // Blocked behind the hung recognizer, the unlock would wait out the broker's 10 s send timeout.
        XCTAssertLessThan(Double(MonotonicClock.nowNanoseconds() - start) / 1e9, 8, "the unlock waited for the hung recognizer")
        XCTAssertGreaterThan(healthy.detectCount, 0)
        hung.close()
    }

    /// Members, faces and grants changed while the broker runs take effect without a restart.
    func testGalleryAndGrantChangesApplyWithoutRestart() throws {
        let (h, camera, _) = try harness()
        try h.touch("DC006")
        try camera.show("lin-manuel-miranda.png")
        XCTAssertEqual(h.waitForAudit(1).last?.kind, .unknownFace, h.dump())

        try h.enroll("lin", photo: "lin-manuel-miranda.png", grants: ["DC006"], nudge: 0.05)
        XCTAssertTrue(h.broker.waitForLine("msg=\"gallery loaded\"", "members=3"), h.dump())
        try camera.show("lin-manuel-miranda.png")
        XCTAssertEqual(h.waitForAudit(2).last?.kind, .unlock, h.dump())
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())

        // A revoked grant stops the next touch from opening the door.
        try h.store.removeGrant(member: "obama", lock: "DC001")
        XCTAssertTrue(h.broker.waitForLine("msg=\"gallery loaded\"", count: 3), h.dump())
        try h.touch("DC001")
        try camera.show("obama2.jpg")
        let last = h.waitForAudit(3).last
        XCTAssertEqual(last?.member?.name, "obama")
        XCTAssertNotEqual(last?.kind, .unlock, h.dump())
        XCTAssertFalse(last?.unlockedLocks.contains("DC001") ?? true)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(h.unlocks("DC001"), [])
    }

    /// Under systemd: READY once serving, WATCHDOG pings at half WATCHDOG_USEC, STOPPING and a
    /// clean exit on SIGTERM, with the socket files removed.
    func testSystemdNotifyAndCleanShutdown() throws {
        let h = try BrokerHarness()
        let notify = NotifySocket(path: h.dir.file("notify.sock").path)
        try h.startBroker(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        XCTAssertTrue(waitUntil(timeout: 10) { notify.messages.contains { $0.hasPrefix("READY=1") } }, "\(notify.messages)")
        XCTAssertTrue(waitUntil(timeout: 10) { notify.messages.filter { $0 == "WATCHDOG=1" }.count >= 2 }, "\(notify.messages)")
        XCTAssertEqual(h.broker.terminate(), 0, h.dump())
        XCTAssertTrue(notify.messages.contains("STOPPING=1"), "\(notify.messages)")
        for socket in ["capture.sock", "recognizer.sock", "broker.ctl"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: h.socketsDirectory + "/" + socket), socket)
        }
    }

    /// The broker's status over its control socket names the open session and the recognizer.
    func testStatusOverControlSocket() throws {
        let (h, _, _) = try harness()
        try h.touch("DC006")
        let admin = try MessageConnection.connect(path: h.socketsDirectory + "/broker.ctl",
                                                  hello: Hello(role: .admin, name: "test", pid: 1), expecting: [.broker])
        try admin.send(.statusRequest)
        guard case let .statusReply(reply) = try admin.receive() else { return XCTFail("no status") }
        let status = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as? [String: Any])
        let sessions = try XCTUnwrap(status["open_sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.map { $0["trigger"] as? String }, ["lock DC006"])
        XCTAssertEqual((status["recognizers"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual((status["mqtt"] as? [String: Any])?["connected"] as? Bool, true)
        // The same reply through the type `facegate status` reads it with.
        let typed = try JSONDecoder().decode(BrokerStatus.self, from: Data(reply.json.utf8))
        XCTAssertEqual(typed.openSessions.map(\.trigger), ["lock DC006"])
        XCTAssertEqual(typed.recognizers.map(\.name), ["test-recognizer"])
        XCTAssertGreaterThanOrEqual(typed.counters.occupancyEvents, 1)
    }

    /// A recognizer (or whatever speaks on its socket) answering with a stored descriptor
    /// itself — distance 0, which no camera image gives — is rejected as implausible and
    /// audited; so is a face box outside the frame. Nothing is unlocked.
    func testImplausibleResultsAreRejectedAndAudited() throws {
        let (h, camera, recognizer) = try harness()
        try h.touch("DC006")
        try camera.show("obama.jpg") // the enrollment photo: the reference answer is the stored descriptor
        let rows = h.waitForAudit(1)
        XCTAssertEqual(rows.first?.kind, .implausible, h.dump())
        XCTAssertTrue(rows.first?.reason.contains("from a stored descriptor of obama (a copy, not a camera image)") ?? false,
                      rows.first?.reason ?? "")
        XCTAssertEqual(rows.first?.unlockedLocks, [])
        XCTAssertFalse(h.broker.lines(containing: "msg=\"implausible recognition result rejected\"").isEmpty, h.dump())

        recognizer.boxOverride = FaceBox(left: 10, top: 10, right: 640, bottom: 480) // the frame is 64x48
        try camera.show("obama2.jpg")
        let more = h.waitForAudit(2)
        XCTAssertEqual(more.last?.kind, .implausible, h.dump())
        XCTAssertTrue(more.last?.reason.contains("is empty or outside the 64x48 frame") ?? false, more.last?.reason ?? "")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(h.allUnlocks(), [], "an implausible result opened a door")

        recognizer.boxOverride = nil
        try camera.show("obama2.jpg")
        XCTAssertTrue(waitUntil(timeout: 20) { h.unlocks("DC006").count == 1 }, "a plausible result still opens\n\(h.dump())")
    }
}
