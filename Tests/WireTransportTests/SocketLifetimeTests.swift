import Foundation
import ProcessSupport
import Synchronization
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The two process-wide hazards a socket can cause: changing the umask while other threads
/// create files, and giving a descriptor number back while another thread still reads it.
final class SocketLifetimeTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUp() { dir = TemporaryDirectory(prefix: "fgl") }

    /// Binding used to set the umask to 0777 around bind(); a file another thread created in
    /// that instant got no permissions at all. Listening now never touches the umask.
    func testListeningLeavesTheUmaskOfOtherThreadsAlone() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let listens = 1500
        let done = Atomic<Bool>(false)
        let failure = Locked<String?>(nil)
        let listener = Thread { [dir] in
            for i in 0..<listens {
                do {
                    let socket = try UnixSocket.listen(path: dir!.file("l\(i % 4).sock").path)
                    socket.close()
                    unlink(socket.path)
                } catch {
                    failure.withLock { $0 = "listen \(i): \(error)" }
                    break
                }
            }
            done.store(true, ordering: .releasing)
        }
        listener.start()
        var created = 0
        var wrongModes: [String] = []
        while !done.load(ordering: .acquiring) {
            let path = dir.file("f\(created % 8)").path
            unlink(path)
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o666)
            XCTAssertGreaterThanOrEqual(fd, 0)
            var st = stat()
            fstat(fd, &st)
            close(fd)
            if st.st_mode & 0o777 != 0o644 { wrongModes.append(String(st.st_mode & 0o777, radix: 8)) }
            created += 1
        }
        XCTAssertNil(failure.withLock { $0 })
        XCTAssertGreaterThan(created, 100, "files were created while sockets were being bound")
        XCTAssertEqual(wrongModes.count, 0,
                       "of \(created) files created during \(listens) binds, these got another umask's mode: \(wrongModes.prefix(5))")
    }

    /// The socket file is never more open than asked, whatever the umask.
    func testSocketFilesGetExactlyTheirMode() throws {
        for (umaskValue, mode) in [(mode_t(0o022), mode_t(0o600)), (0o077, 0o660), (0o000, 0o600)] {
            let previous = umask(umaskValue)
            defer { umask(previous) }
            let path = dir.file("m.sock").path
            let socket = try UnixSocket.listen(path: path, mode: mode)
            var st = stat()
            XCTAssertEqual(lstat(path, &st), 0)
            XCTAssertEqual(st.st_mode & 0o777, mode, "umask \(String(umaskValue, radix: 8))")
            socket.close()
            unlink(path)
        }
    }

    /// close() from another thread wakes a reader blocked in recv, and the descriptor number
    /// stays the socket's until the object is gone, so the reader can never end up reading a
    /// file that was opened meanwhile and got the same number.
    func testCloseWakesABlockedReaderAndKeepsTheNumberUntilReleased() throws {
        let path = dir.file("c.sock").path
        let listener = try UnixSocket.listen(path: path)
        defer { listener.close() }
        let client = try UnixSocket.connect(path: path)
        let server = try listener.accept()
        let woke = DispatchSemaphore(value: 0)
        let readResult = Locked<String>("")
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 64)
            let outcome: String
            do {
                let n = try buffer.withUnsafeMutableBytes { try server.read(into: $0) }
                outcome = "read \(n)"
            } catch {
                outcome = "\(error)"
            }
            readResult.withLock { $0 = outcome }
            woke.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let number = server.fd
        server.close()
        XCTAssertEqual(woke.wait(timeout: .now() + 5), .success, "close() woke the blocked reader")
        XCTAssertEqual(readResult.withLock { $0 }, "read 0", "the reader sees end of stream")
        XCTAssertTrue(server.isClosed)
        XCTAssertNotEqual(fcntl(number, F_GETFD), -1, "the number is still ours while the socket object lives")
        // A file opened now cannot take the socket's number.
        let other = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(other) }
        XCTAssertNotEqual(other, number)
        // The peer sees the close as end of stream.
        var buffer = [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try client.read(into: $0) }, 0)
    }

    /// Many connections closed while their readers are blocked, from another thread each
    /// time: every reader wakes (run under `make tsan` this is also the data-race check of
    /// close against recv).
    func testConcurrentCloseAndReceiveOnManyConnections() throws {
        let path = dir.file("r.sock").path
        let listener = try UnixSocket.listen(path: path)
        defer { listener.close() }
        for _ in 0..<50 {
            let client = try UnixSocket.connect(path: path)
            let accepted = try listener.accept()
            let connection = MessageConnection(socket: accepted)
            let ended = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = try? connection.receive()
                ended.signal()
            }
            DispatchQueue.global().async { connection.close() }
            XCTAssertEqual(ended.wait(timeout: .now() + 5), .success)
            client.close()
        }
    }
}
