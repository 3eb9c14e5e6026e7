import Foundation
import ProcessSupport
import TestSupport
import WireTransport
import XCTest
@testable import WireProtocol

/// Real Unix sockets between real threads: handshakes, peer credentials, socket files, and
/// peers that misbehave in every way the design names.
final class ConnectionTests: XCTestCase {
    var dir: TemporaryDirectory!
    var path: String { dir.file("s.sock").path }
    let log = Log(component: "test")

    override func setUp() { dir = TemporaryDirectory(prefix: "fgw") }

    func brokerHello() -> Hello { Hello(role: .broker, name: "test-broker", pid: UInt32(getpid())) }
    func captureHello(_ camera: String = "cam-a") -> Hello {
        Hello(role: .capture, name: "test-capture", pid: UInt32(getpid()), camera: camera)
    }

    /// A server that echoes every frame back with sequence + 1, and records the peers it saw.
    func startEchoServer(maxBody: Int = FrameDecoder.defaultMaxBodyLength) throws -> MessageServer {
        var options = MessageServer.Options(path: path, localHello: brokerHello(), acceptedRoles: [.capture])
        options.maxBodyLength = maxBody
        let server = MessageServer(options: options, log: log) { connection in
            while true {
                let message = try connection.receive()
                if case var .frame(frame) = message {
                    frame.sequence += 1
                    try connection.send(.frame(frame))
                }
            }
        }
        try server.start()
        return server
    }

    func frame(_ seq: UInt64 = 1) -> VideoFrame {
        VideoFrame(camera: "cam-a", sequence: seq, captureMonotonicNs: 1, captureWallNs: 2, format: .gray8,
                   width: 4, height: 2, stride: 4, pixels: PixelData(Array(0..<8)))
    }

    func testHandshakeAndEcho() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        let client = try MessageConnection.connect(path: path, hello: captureHello(), expecting: [.broker])
        defer { client.close() }
        XCTAssertEqual(client.peerHello?.role, .broker)
        try client.send(.frame(frame(41)))
        guard case let .frame(echo) = try client.receive() else { return XCTFail("no frame back") }
        XCTAssertEqual(echo.sequence, 42)
        XCTAssertEqual(echo.pixels, PixelData(Array(0..<8)))
    }

    func testPeerCredentialsNameThisProcess() throws {
        let listener = try UnixSocket.listen(path: path)
        let client = try UnixSocket.connect(path: path)
        let accepted = try listener.accept()
        let credentials = try accepted.peerCredentials()
        XCTAssertEqual(credentials.pid, getpid())
        XCTAssertEqual(credentials.uid, UInt32(geteuid()))
        client.close(); accepted.close(); listener.close()
    }

    func testServerMakesAMissingSocketsDirectory() throws {
        let nested = dir.file("run/facegate").path
        let server = MessageServer(options: .init(path: nested + "/s.sock", localHello: brokerHello(), acceptedRoles: [.capture]),
                                   log: log) { _ in }
        try server.start()
        defer { server.stop() }
        var st = stat()
        XCTAssertEqual(stat(nested, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o750)
        XCTAssertNoThrow(try MessageConnection.connect(path: nested + "/s.sock", hello: captureHello(), expecting: [.broker]))
    }

    func testSocketFileIsOwnerOnly() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    func testStaleSocketFileIsReplacedButALiveOneIsNot() throws {
        // A socket file whose process died: bound, never served.
        let stale = try UnixSocket.listen(path: path)
        stale.close() // closes without unlinking, as a SIGKILLed process would leave it
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let server = try startEchoServer()
        defer { server.stop() }
        XCTAssertThrowsError(try UnixSocket.listen(path: path)) { error in
            XCTAssertEqual(error as? WireError, .addressInUse(path: path))
        }
        // And a regular file in the way is never deleted.
        let other = dir.file("regular").path
        XCTAssertTrue(FileManager.default.createFile(atPath: other, contents: Data("keep".utf8)))
        XCTAssertThrowsError(try UnixSocket.listen(path: other))
        XCTAssertEqual(try String(contentsOfFile: other, encoding: .utf8), "keep")
    }

    func testWrongRoleIsRejectedWithAReason() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: Hello(role: .recognizer, name: "r", pid: 1),
                                                           expecting: [.broker])) { error in
            guard case let .peerRejected(reason)? = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("role-rejected"), reason)
        }
    }

    func testClientRejectsServerOfWrongRole() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: captureHello(), expecting: [.recognizer])) { error in
            XCTAssertEqual(error as? WireError, .unexpectedRole(got: "broker", expected: ["recognizer"]))
        }
    }

    func testWrongVersionIsRejected() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        var hello = captureHello()
        hello.version = wireProtocolVersion + 1
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: hello, expecting: [.broker])) { error in
            // The server sees our version first and refuses; we may also notice theirs first.
            switch error as? WireError {
            case .peerRejected(let reason)?: XCTAssertTrue(reason.contains("unsupported-version"), reason)
            case .unsupportedVersion?: break
            default: XCTFail("\(error)")
            }
        }
    }

    /// A process still speaking version 1 (results without landmarks) is refused at the hello,
    /// both ways, with the versions named, before any frame or result is exchanged.
    func testVersion1PeerIsRefusedBothWays() throws {
        XCTAssertEqual(wireProtocolVersion, 3)
        let server = try startEchoServer()
        var v1Client = captureHello()
        v1Client.version = 1
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: v1Client, expecting: [.broker])) { error in
            guard case let .peerRejected(reason)? = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "unsupported-version: protocol version 1 unsupported, this side speaks 3")
        }
        XCTAssertTrue(waitUntil(timeout: 5) { server.connectionCount == 0 }, "the server closed the v1 connection")
        server.stop()

        // The client checks the server's hello too: a server answering with version 1 is
        // refused and told why (a real v1 server refuses us first; this one answers anyway).
        let listener = try UnixSocket.listen(path: path)
        defer { listener.close() }
        let refused = TextBox()
        let accepted = DispatchSemaphore(value: 0)
        var v1Server = brokerHello()
        v1Server.version = 1
        Thread.detachNewThread { [v1Server] in
            defer { accepted.signal() }
            guard let socket = try? listener.accept() else { return }
            let old = MessageConnection(socket: socket)
            _ = try? old.receive()
            try? old.send(.hello(v1Server))
            if case let .error(e)? = try? old.receive() { refused.set("\(e.code): \(e.text)") }
            old.close()
        }
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: captureHello(), expecting: [.broker])) { error in
            XCTAssertEqual(error as? WireError, .unsupportedVersion(got: 1, expected: 3))
            XCTAssertEqual("\(error)", "protocol version 1 unsupported (this side speaks 3)")
        }
        XCTAssertEqual(accepted.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(refused.get(), "unsupported-version: protocol version 1 unsupported, this side speaks 3")
    }

    /// Each kind of bad peer is closed with an error message; a good peer connected the whole
    /// time keeps being served.
    func testBadPeersAreClosedAndOthersKeepWorking() throws {
        let server = try startEchoServer(maxBody: 1 << 20)
        defer { server.stop() }
        let good = try MessageConnection.connect(path: path, hello: captureHello(), expecting: [.broker])
        defer { good.close() }

        let helloBytes = MessageCodec.encodeFrame(.hello(captureHello("cam-b")))
        let badStreams: [(String, [UInt8])] = [
            ("random bytes", (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }),
            ("oversize length", helloBytes + [0x7f, 0xff, 0xff, 0xff, 1, 2, 3]),
            ("garbage after hello", helloBytes + [0, 0, 0, 3, 0x42, 0x42, 0x42]),
            ("truncated frame", helloBytes + Array(MessageCodec.encodeFrame(.frame(frame())).dropLast(3))),
            ("wrong version", Array(MessageCodec.encodeFrame(.hello(Hello(version: 9, role: .capture, name: "x", pid: 1, camera: "c"))))),
            ("no hello first", MessageCodec.encodeFrame(.frame(frame()))),
        ]
        for (name, bytes) in badStreams {
            let socket = try UnixSocket.connect(path: path)
            let raw = MessageConnection(socket: socket)
            try raw.sendRaw(bytes)
            if name == "truncated frame" { socket.shutdownWrite() }
            // The server must close on us; read until EOF, collecting any error it sent first.
            var sawError = false
            var sawEOF = false
            socket.setReceiveTimeout(seconds: 10)
            while true {
                do {
                    if case .error = try raw.receive() { sawError = true }
                } catch {
                    if case .timedOut? = error as? WireError { break }
                    sawEOF = true
                    break
                }
            }
            XCTAssertTrue(sawEOF, "\(name): server did not close the connection")
            if name != "truncated frame" { XCTAssertTrue(sawError, "\(name): no error message before close") }
            raw.close()

            try good.send(.frame(frame(10)))
            guard case let .frame(echo) = try good.receive() else { return XCTFail("\(name): good peer lost") }
            XCTAssertEqual(echo.sequence, 11, name)
        }
        XCTAssertTrue(waitUntil(timeout: 5) { server.connectionCount == 1 })
    }

    func testBytesArriveInAnyChunkingOverTheSocket() throws {
        let server = try startEchoServer()
        defer { server.stop() }
        let socket = try UnixSocket.connect(path: path)
        let client = MessageConnection(socket: socket)
        let stream = MessageCodec.encodeFrame(.hello(captureHello())) + MessageCodec.encodeFrame(.frame(frame(1)))
            + MessageCodec.encodeFrame(.frame(frame(2)))
        for byte in stream { try client.sendRaw([byte]) }
        guard case .hello = try client.receive() else { return XCTFail("no hello") }
        var sequences: [UInt64] = []
        for _ in 0..<2 { if case let .frame(f) = try client.receive() { sequences.append(f.sequence) } }
        XCTAssertEqual(sequences, [2, 3])
        client.close()
    }

    func testStopRemovesSocketFileAndClosesPeers() throws {
        let server = try startEchoServer()
        let client = try MessageConnection.connect(path: path, hello: captureHello(), expecting: [.broker])
        server.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertThrowsError(try client.receive())
    }

    func testTapHubCopiesFilteredMessages() throws {
        let hub = TapHub(log: log)
        let control = ControlServer(path: path, localHello: brokerHello(), log: log, hub: hub, status: { #"{"ok":true}"# })
        try control.start()
        defer { control.stop() }

        let admin = try MessageConnection.connect(path: path, hello: Hello(role: .admin, name: "a", pid: 1), expecting: [.broker])
        try admin.send(.statusRequest)
        XCTAssertEqual(try admin.receive(), .statusReply(StatusReply(json: #"{"ok":true}"#)))

        let tap = try MessageConnection.connect(path: path, hello: Hello(role: .tap, name: "t", pid: 1), expecting: [.broker])
        try tap.send(.tapSubscribe(TapSubscribe(kindMask: 1 << UInt32(MessageKind.frame.rawValue), camera: "cam-a")))
        XCTAssertTrue(waitUntil(timeout: 5) { hub.subscriberCount == 1 })
        hub.publish(.received, peer: "capture:cam-b", .frame(VideoFrame(camera: "cam-b", sequence: 1, captureMonotonicNs: 1,
                                                                          captureWallNs: 1, format: .gray8, width: 1, height: 1,
                                                                          stride: 1, pixels: PixelData([9]))))
        hub.publish(.received, peer: "capture:cam-a", .credit(Credit(count: 1)))
        hub.publish(.received, peer: "capture:cam-a", .frame(frame(5)))
        guard case let .tapEvent(event) = try tap.receive() else { return XCTFail("no tap event") }
        XCTAssertEqual(event.peer, "capture:cam-a")
        XCTAssertEqual(event.direction, .received)
        XCTAssertTrue(event.pixelsStripped)
        guard case let .frame(copy) = event.message else { return XCTFail("not a frame") }
        XCTAssertEqual(copy.sequence, 5)
        XCTAssertTrue(copy.pixels.isEmpty)
        tap.close()
        XCTAssertTrue(waitUntil(timeout: 5) { hub.subscriberCount == 0 })
    }
}

/// A string written by one thread and read by another.
/// Reason for @unchecked: `value` is guarded by `lock`.
final class TextBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ text: String) { lock.lock(); value = text; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}
