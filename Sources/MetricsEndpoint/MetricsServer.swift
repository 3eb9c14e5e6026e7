#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProcessSupport
import Synchronization

/// Serves `GET /metrics` over HTTP/1.x on one TCP address, from one thread of its own, with
/// blocking sockets: a scrape every few seconds from one Prometheus needs no event loop, and
/// this keeps an HTTP stack (SwiftNIO) out of processes that otherwise speak only Unix sockets.
///
/// Requests are served one at a time, each connection closed after its answer; a client gets
/// `requestTimeout` seconds to send its request and take the answer, so a stalled one delays
/// the next scrape by at most that, and never touches the process's real work.
public final class MetricsServer: Sendable {
    public let host: String
    /// The bound port (the one asked for, or the kernel's pick for 0).
    public let port: UInt16
    private let fd: Int32
    private let log: Log
    private let render: @Sendable () -> String
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    static let requestTimeout = 2.0
    static let maxRequestBytes = 8192

    /// Binds and listens on `host` (an IPv4 address) and `port`; `start()` begins serving.
    /// Throws `MetricsServerError` naming the address when it cannot. `exposition` is called
    /// for each scrape, on the server's thread (`Exposition.text`).
    public init(host: String, port: UInt16, log: Log, exposition: @escaping @Sendable () -> String) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw MetricsServerError(address: "\(host):\(port)", operation: "parse", reason: "not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(address: "\(host):\(port)", operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let error = MetricsServerError(address: "\(host):\(port)", operation: bound == 0 ? "listen" : "bind", errno: errno)
            close(fd)
            throw error
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.host = host
        self.port = UInt16(bigEndian: actual.sin_port)
        self.fd = fd
        self.log = log.with(["component": "metrics", "listen": "\(host):\(UInt16(bigEndian: actual.sin_port))"])
        render = exposition
    }

    deinit { close(fd) }

    public func start() {
        Thread.detachNewThread { [self] in
            acceptLoop()
            finished.signal()
        }
        log.info("serving metrics", ["path": "/metrics"])
    }

    /// Stops accepting; returns once the serving thread has ended (a scrape being answered is
    /// finished first, bounded by `requestTimeout`).
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Wakes the thread blocked in accept(); the descriptor itself is closed in deinit.
        shutdown(fd, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + Self.requestTimeout + 1)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = Glibc.accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if !stopped.load(ordering: .acquiring) { log.error("metrics accept failed; no more scrapes", ["errno": errno]) }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            serve(client)
            close(client)
        }
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: Int(Self.requestTimeout), tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let head = readHead(client) else { return }
        let response: HTTPResponse
        switch MetricsRequest.parse(head) {
        case .success(.metrics(let method)):
            let body = render()
            response = HTTPResponse(status: "200 OK", contentType: Exposition.contentType, body: body, includeBody: method == "GET")
        case .success(.notFound):
            response = HTTPResponse(status: "404 Not Found", body: "only /metrics is served here\n")
        case let .failure(problem):
            response = HTTPResponse(status: problem.status, body: problem.text + "\n")
            log.debug("metrics request refused", ["reason": problem.text])
        }
        let bytes = Array(response.bytes)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            sent += n
        }
    }

    /// The request line and headers, up to the blank line; nil when the client sent nothing
    /// usable in time (nothing worth answering).
    private func readHead(_ client: Int32) -> [UInt8]? {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while head.count < Self.maxRequestBytes {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return head.isEmpty ? nil : head }
            head += buffer[..<n]
            if let end = firstBlankLine(head) { return Array(head[..<end]) }
        }
        return head
    }

    private func firstBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public let address: String
    public let operation: String
    public let reason: String

    init(address: String, operation: String, reason: String) {
        self.address = address
        self.operation = operation
        self.reason = reason
    }

    init(address: String, operation: String, errno code: Int32) {
        self.init(address: address, operation: operation, reason: String(cString: strerror(code)))
    }

    public var description: String { "metrics listen address \(address): \(operation) failed: \(reason)" }
}
