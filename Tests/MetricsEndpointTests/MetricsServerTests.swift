import Foundation
import MetricsEndpoint
import ProcessSupport
import TestSupport
import XCTest

/// The HTTP side: a real TCP listener on loopback, asked the way Prometheus and curl ask.
final class MetricsServerTests: XCTestCase {
    private let log = Log(component: "metrics-test")

    func testServesTheFamiliesReadAtEachScrape() throws {
        let calls = Locked(0)
        let server = try MetricsServer(host: "127.0.0.1", port: 0, log: log) {
            let n = calls.withLock { $0 += 1; return $0 }
            return Exposition.text([MetricFamily("scrapes", .counter, help: "Scrapes so far.", value: Double(n))])
        }
        server.start()
        defer { server.stop() }
        XCTAssertNotEqual(server.port, 0, "the kernel's port is reported")
        let first = try httpRequest(port: server.port, target: "/metrics")
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(first.headers["content-length"], String(first.body.utf8.count))
        XCTAssertEqual(first.body, "# HELP scrapes Scrapes so far.\n# TYPE scrapes counter\nscrapes 1\n")
        let second = try httpRequest(port: server.port, target: "/metrics?x=1")
        XCTAssertTrue(second.body.hasSuffix("scrapes 2\n"), second.body)
        let head = try httpRequest(port: server.port, target: "/metrics", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, "")
    }

    func testRefusesOtherPathsAndMethods() throws {
        let server = try MetricsServer(host: "127.0.0.1", port: 0, log: log) { "" }
        server.start()
        defer { server.stop() }
        XCTAssertEqual(try httpRequest(port: server.port, target: "/").status, 404)
        let post = try httpRequest(port: server.port, target: "/metrics", method: "POST")
        XCTAssertEqual(post.status, 405)
        XCTAssertTrue(post.body.contains("only GET and HEAD"), post.body)
    }

    func testASilentClientDoesNotBlockTheNextScrape() throws {
        let server = try MetricsServer(host: "127.0.0.1", port: 0, log: log) { "up_here 1\n" }
        server.start()
        defer { server.stop() }
        // Connects and says nothing: served after its request timeout at the latest.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = server.port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let start = Date()
        let reply = try httpRequest(port: server.port, target: "/metrics", timeout: 10)
        XCTAssertEqual(reply.status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testBindErrorsNameTheAddress() throws {
        let first = try MetricsServer(host: "127.0.0.1", port: 0, log: log) { "" }
        XCTAssertThrowsError(try MetricsServer(host: "127.0.0.1", port: first.port, log: log) { "" }) { error in
            XCTAssertEqual("\(error)", "metrics listen address 127.0.0.1:\(first.port): bind failed: Address already in use")
        }
        XCTAssertThrowsError(try MetricsServer(host: "localhost", port: 1, log: log) { "" }) { error in
            XCTAssertEqual("\(error)", "metrics listen address localhost:1: parse failed: not an IPv4 address")
        }
    }
}
