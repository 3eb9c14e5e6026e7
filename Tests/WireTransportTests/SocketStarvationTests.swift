import Foundation
import ProcessSupport
import TestSupport
import WireTransport
import XCTest
@testable import WireProtocol

/// Peers that try to hold a server's threads, memory or connection slots without ever
/// finishing a message: half frames, huge announced lengths, floods of idle connects.
final class SocketStarvationTests: XCTestCase {
    var dir: TemporaryDirectory!
    var path: String { dir.file("s.sock").path }
    let log = Log(component: "test")

    override func setUp() { dir = TemporaryDirectory(prefix: "fgs") }

    func hello(_ camera: String = "cam-a") -> Hello {
        Hello(role: .capture, name: "test-capture", pid: UInt32(getpid()), camera: camera)
    }

    func frame(_ seq: UInt64 = 1, bytes: Int = 8) -> VideoFrame {
        VideoFrame(camera: "cam-a", sequence: seq, captureMonotonicNs: 1, captureWallNs: 2, format: .gray8,
                   width: UInt32(bytes), height: 1, stride: UInt32(bytes),
                   pixels: PixelData([UInt8](repeating: 7, count: bytes)))
    }

    func startEchoServer(_ configure: (inout MessageServer.Options) -> Void = { _ in }) throws -> MessageServer {
        var options = MessageServer.Options(path: path, localHello: Hello(role: .broker, name: "b", pid: UInt32(getpid())),
                                            acceptedRoles: [.capture])
        configure(&options)
        let server = MessageServer(options: options, log: log) { connection in
            while true {
                if case var .frame(f) = try connection.receive() {
                    f.sequence += 1
                    try connection.send(.frame(f))
                }
            }
        }
        try server.start()
        return server
    }

    /// Reads until the server closes; returns the error text it sent first, if any.
    func readUntilClosed(_ connection: MessageConnection, within seconds: Double = 30) -> (closed: Bool, error: String?) {
        connection.socket.setReceiveTimeout(seconds: seconds)
        var errorText: String?
        while true {
            do {
                if case let .error(e) = try connection.receive() { errorText = e.text }
            } catch WireError.timedOut {
                return (false, errorText)
            } catch {
                return (true, errorText)
            }
        }
    }

    func testHalfAFrameIsClosedAfterTheMessageDeadline() throws {
        let server = try startEchoServer { $0.messageDeadlineSeconds = 1 }
        defer { server.stop() }
        let client = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
        defer { client.close() }
        let whole = MessageCodec.encodeFrame(.frame(frame(bytes: 4096)))
        let started = MonotonicClock.nowNanoseconds()
        try client.sendRaw(Array(whole.prefix(whole.count / 2)))
        let (closed, error) = readUntilClosed(client)
        let elapsed = Double(MonotonicClock.nowNanoseconds() - started) / 1e9
        XCTAssertTrue(closed, "a half frame was held open")
        XCTAssertGreaterThanOrEqual(elapsed, 1, "closed before the deadline")
        let text = try XCTUnwrap(error, "no error message before the close")
        XCTAssertTrue(text.contains("message incomplete after 1 s"), text)
        XCTAssertTrue(text.contains("of \(whole.count - 4) body bytes received"), text)
    }

    func testHalfALengthPrefixIsClosedToo() throws {
        let server = try startEchoServer { $0.messageDeadlineSeconds = 0.5 }
        defer { server.stop() }
        let client = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
        defer { client.close() }
        try client.sendRaw([0, 0])
        let (closed, error) = readUntilClosed(client)
        XCTAssertTrue(closed)
        XCTAssertTrue(error?.contains("length prefix unfinished") ?? false, error ?? "no error")
    }

    /// Quiet between whole messages is not a fault: tap clients and idle cameras are quiet.
    func testQuietBetweenWholeMessagesIsKept() throws {
        let server = try startEchoServer { $0.messageDeadlineSeconds = 0.3 }
        defer { server.stop() }
        let client = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
        defer { client.close() }
        try client.send(.frame(frame(1)))
        guard case .frame = try client.receive() else { return XCTFail("no echo") }
        Thread.sleep(forTimeInterval: 1.2)
        // A message that arrives in two pieces, each well inside the deadline, is whole in time.
        let whole = MessageCodec.encodeFrame(.frame(frame(5)))
        try client.sendRaw(Array(whole.prefix(10)))
        try client.sendRaw(Array(whole.dropFirst(10)))
        guard case let .frame(echo) = try client.receive() else { return XCTFail("no echo after the quiet") }
        XCTAssertEqual(echo.sequence, 6)
    }

    func testAHelloThatNeverComesTimesOut() throws {
        let server = try startEchoServer { $0.handshakeTimeoutSeconds = 0.5 }
        defer { server.stop() }
        let raw = MessageConnection(socket: try UnixSocket.connect(path: path))
        defer { raw.close() }
        let (closed, error) = readUntilClosed(raw)
        XCTAssertTrue(closed, "an unidentified peer was held open")
        XCTAssertTrue(error?.contains("handshake (no hello within 0.5 s) timed out") ?? false, error ?? "no error")
        XCTAssertTrue(waitUntil(timeout: 10) { server.unidentifiedCount == 0 })
    }

    /// A hello trickled a byte at a time: the handshake timeout is for the whole exchange.
    func testATrickledHelloTimesOut() throws {
        let server = try startEchoServer { $0.handshakeTimeoutSeconds = 0.5; $0.messageDeadlineSeconds = 60 }
        defer { server.stop() }
        let raw = MessageConnection(socket: try UnixSocket.connect(path: path))
        defer { raw.close() }
        let bytes = MessageCodec.encodeFrame(.hello(hello()))
        var closedEarly = false
        for byte in bytes.prefix(8) {
            do { try raw.sendRaw([byte]) } catch { closedEarly = true; break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let (closed, _) = closedEarly ? (true, nil) : readUntilClosed(raw)
        XCTAssertTrue(closed)
    }

    func testIdleConnectsNeverLockOutARealPeer() throws {
        let server = try startEchoServer { $0.maxUnidentified = 4; $0.handshakeTimeoutSeconds = 60; $0.maxConnections = 8 }
        defer { server.stop() }
        // Far more idle connects than either limit, all still open.
        var idle: [UnixSocket] = []
        for _ in 0..<200 { idle.append(try UnixSocket.connect(path: path)) }
        defer { idle.forEach { $0.close() } }
        let real = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
        defer { real.close() }
        try real.send(.frame(frame(1)))
        guard case .frame = try real.receive() else { return XCTFail("the real peer was not served") }
        XCTAssertTrue(waitUntil(timeout: 10) { server.unidentifiedCount <= 4 })
        XCTAssertEqual(server.connectionCount, 1)
    }

    /// The same while the flood is going on, from another thread.
    func testRealPeersConnectDuringAnIdleFlood() throws {
        let server = try startEchoServer { $0.maxUnidentified = 4; $0.handshakeTimeoutSeconds = 60 }
        defer { server.stop() }
        let flooding = DispatchGroup()
        flooding.enter()
        Thread.detachNewThread { [path] in
            var open: [UnixSocket] = []
            for _ in 0..<3000 {
                if let s = try? UnixSocket.connect(path: path) { open.append(s) }
                if open.count > 64 { open.removeFirst().close() }
            }
            open.forEach { $0.close() }
            flooding.leave()
        }
        defer { flooding.wait() }
        var evictions = 0
        for n in 0..<10 {
            // A real peer is silent between its connect and its hello; on a loaded machine the
            // flood can fill the table in that gap and close it (the server prefers peers with
            // bytes waiting, but cannot know one is about to speak). It is told why and, like
            // BrokerClient, connects again: it must get through, and soon.
            var connected: MessageConnection?
            while connected == nil {
                do {
                    connected = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
                } catch WireError.peerRejected(let reason) where reason.contains("too many unidentified") && evictions < 50 {
                    evictions += 1
                }
            }
            let real = try XCTUnwrap(connected)
            try real.send(.frame(frame(UInt64(n))))
            guard case let .frame(echo) = try real.receive() else { return XCTFail("peer \(n) not served") }
            XCTAssertEqual(echo.sequence, UInt64(n) + 1)
            real.close()
        }
        XCTAssertLessThan(evictions, 50, "real peers kept losing their place to the flood")
    }

    /// 32 MiB announced, 1 KiB sent: the decoder holds about what arrived, and grows with it.
    func testAHugeAnnouncedLengthCostsOnlyWhatArrives() throws {
        let length = 32 << 20
        var decoder = FrameDecoder(maxBodyLength: 64 << 20)
        try decoder.append([UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)])
        XCTAssertEqual(decoder.announcedBodyLength, length)
        XCTAssertEqual(decoder.reservedBodyCapacity, 0, "storage reserved before any body byte came")
        try decoder.append([UInt8](repeating: 1, count: 1024))
        XCTAssertLessThanOrEqual(decoder.reservedBodyCapacity, FrameDecoder.minimumGrowth + 1024)
        var received = 1024
        while received < 3 << 20 {
            try decoder.append([UInt8](repeating: 2, count: 100_000))
            received += 100_000
            XCTAssertLessThanOrEqual(decoder.reservedBodyCapacity, 2 * received + FrameDecoder.minimumGrowth)
        }
        XCTAssertNil(decoder.nextBody())
        // And the body, when it completes, is all there and exact.
        try decoder.append([UInt8](repeating: 3, count: length - received))
        let body = try XCTUnwrap(decoder.nextBody())
        XCTAssertEqual(body.count, length)
        XCTAssertEqual(body.first, 1)
        XCTAssertEqual(body.last, 3)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testIdentifiedPeersBeyondTheCapAreRefusedWithAReason() throws {
        let server = try startEchoServer { $0.maxConnections = 1 }
        defer { server.stop() }
        let first = try MessageConnection.connect(path: path, hello: hello(), expecting: [.broker])
        defer { first.close() }
        XCTAssertThrowsError(try MessageConnection.connect(path: path, hello: hello("cam-b"), expecting: [.broker])) { error in
            guard case let .peerRejected(reason)? = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("too many connections (limit 1)"), reason)
        }
    }
}
