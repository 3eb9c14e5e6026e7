import Foundation
import ProcessSupport
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The real broker against peers that try to starve its capture socket: a frame that stops
/// half way, and a flood of connections that never say hello.
final class BrokerStarvationTests: XCTestCase {
    func testHalfAFrameIsClosedWithALogLineNamingThePeer() throws {
        let h = try BrokerHarness(.init(runtime: "message_deadline = 1"))
        try h.startBroker()
        let stalled = try MessageConnection.connect(path: h.socketsDirectory + "/capture.sock",
                                                    hello: Hello(role: .capture, name: "stalled", pid: UInt32(getpid()), camera: "cam-a"),
                                                    expecting: [.broker])
        defer { stalled.close() }
        // 32 MiB announced, 64 KiB sent, then silence.
        let length = 32 << 20
        try stalled.sendRaw([UInt8(length >> 24), UInt8(length >> 16 & 0xff), 0, 0, MessageKind.frame.rawValue]
                            + [UInt8](repeating: 0, count: 64 << 10))
        stalled.socket.setReceiveTimeout(seconds: 30)
        var closed = false
        do {
            while true { _ = try stalled.receive() }
        } catch WireError.timedOut {
        } catch {
            closed = true
        }
        XCTAssertTrue(closed, "the broker held a half frame\n\(h.dump())")
        XCTAssertTrue(h.broker.waitForLine("msg=\"closing connection: message incomplete after 1 s: 65537 of \(length) body bytes received\"",
                                           "peer=\"capture:cam-a pid=\(getpid())\"", "socket=\(h.socketsDirectory)/capture.sock"), h.dump())
        XCTAssertTrue(h.broker.isRunning)
    }

    /// Idle connects far beyond every cap, still open, while a camera and a recognizer connect
    /// and S1 is played: the real peers are served, exactly one unlock of DC006.
    func testIdleConnectsDoNotLockOutRealPeers() throws {
        let h = try BrokerHarness(.init(runtime: "max_unidentified_peers = 4\nhandshake_timeout = 30"))
        try h.startBroker()
        var idle: [UnixSocket] = []
        defer { idle.forEach { $0.close() } }
        for _ in 0..<300 { idle.append(try UnixSocket.connect(path: h.socketsDirectory + "/capture.sock")) }
        for _ in 0..<300 { idle.append(try UnixSocket.connect(path: h.socketsDirectory + "/recognizer.sock")) }
        let camera = try TestCamera(socketsDirectory: h.socketsDirectory)
        defer { camera.close() }
        let recognizer = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        defer { recognizer.close() }
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"), h.dump())
        XCTAssertTrue(h.broker.waitForLine("msg=\"closing unidentified peer to make room: too many connections without a hello\"",
                                           "limit=4", "closed_so_far=1"), h.dump())
        // One line per hundred evictions, not one per connect.
        XCTAssertLessThan(h.broker.lines(containing: "closing unidentified peer").count, 20, h.dump())
        try h.touch("DC006")
        try camera.show("obama2.jpg")
        XCTAssertTrue(h.locks.waitForRecords { _ in h.unlocks("DC006").count == 1 }, h.dump())
        XCTAssertEqual(h.unlocks("DC001"), [])
    }
}
