import Foundation
import ProcessSupport
import TestSupport
import WireTransport
import XCTest
@testable import WireProtocol

/// The one status exchange `facegate status` and facegate-web share, over real sockets: what
/// each way of failing is called, so both can tell "not running" from "not answering".
final class AskBrokerStatusTests: XCTestCase {
    var dir: TemporaryDirectory!
    let log = Log(component: "test")

    override func setUp() { dir = TemporaryDirectory(prefix: "fgask") }

    func testNoSocketFileIsNotRunning() {
        let path = dir.file("broker.ctl").path
        XCTAssertThrowsError(try askBrokerStatus(path: path, timeout: 2, clientName: "test")) { error in
            XCTAssertEqual(error as? BrokerStatusError, .notRunning(socket: path))
        }
    }

    func testASocketFileNobodyListensOnIsNotRunning() throws {
        let path = dir.file("broker.ctl").path
        // A broker that died without unlinking leaves its socket file behind: ECONNREFUSED.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        close(fd)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        XCTAssertThrowsError(try askBrokerStatus(path: path, timeout: 2, clientName: "test")) { error in
            XCTAssertEqual(error as? BrokerStatusError, .notRunning(socket: path))
        }
    }

    func testABrokerThatAnswersSomethingElseIsABadReplyAndOneThatIsSilentIsUnreachable() throws {
        let path = dir.file("broker.ctl").path
        let server = MessageServer(options: .init(path: path, localHello: Hello(role: .broker, name: "b", pid: UInt32(getpid())),
                                                  acceptedRoles: [.admin]), log: log) { connection in
            guard case .statusRequest = try connection.receive() else { return }
            // The second client gets no answer at all.
            if connection.peerHello?.name == "silent" { Thread.sleep(forTimeInterval: 3); return }
            try connection.send(.statusRequest)
        }
        try server.start()
        defer { server.stop() }
        XCTAssertThrowsError(try askBrokerStatus(path: path, timeout: 2, clientName: "test")) { error in
            guard case let .badReply(socket, reason)? = error as? BrokerStatusError else { return XCTFail("\(error)") }
            XCTAssertEqual(socket, path)
            XCTAssertTrue(reason.contains("instead of status-reply"), reason)
        }
        XCTAssertThrowsError(try askBrokerStatus(path: path, timeout: 0.5, clientName: "silent")) { error in
            guard case .unreachable(path, _)? = error as? BrokerStatusError else { return XCTFail("\(error)") }
        }
    }
}
