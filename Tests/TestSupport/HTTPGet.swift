import Foundation

/// One HTTP/1.0 exchange over TCP to 127.0.0.1, read to the end: what a scraper or a curl sees,
/// with no HTTP library between (HTTP/1.0, so a Go server answers without chunking).
public struct HTTPReply: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: String
    /// Every Set-Cookie line in order (`headers` keeps only the last).
    public var setCookies: [String] = []
}

public enum HTTPGetError: Error, CustomStringConvertible {
    case connect(port: UInt16, errno: Int32)
    case malformed(String)
    public var description: String {
        switch self {
        case let .connect(port, code): "connect to 127.0.0.1:\(port): \(String(cString: strerror(code)))"
        case let .malformed(text): "not an HTTP reply: \(text.prefix(200))"
        }
    }
}

/// `GET target` (or another `method`, with `headers` and a `body`) on 127.0.0.1:`port`, at
/// most `timeout` seconds per read.
public func httpRequest(port: UInt16, target: String, method: String = "GET", headers extra: [String: String] = [:],
                        body: [UInt8]? = nil, timeout: Double = 5, http11: Bool = false) throws -> HTTPReply {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw HTTPGetError.connect(port: port, errno: errno) }
    // HTTP/1.1 for servers that do not answer 1.0 (chromedriver): the connection is closed by
    // the request's header, and the reply read up to its Content-Length.
    var head = "\(method) \(target) HTTP/\(http11 ? "1.1" : "1.0")\r\nHost: 127.0.0.1:\(port)\r\n"
    if http11 { head += "Connection: close\r\n" }
    for (name, value) in extra.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
    if let body { head += "Content-Length: \(body.count)\r\n" }
    let request = Array((head + "\r\n").utf8) + (body ?? [])
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        data += buffer[..<n]
        if http11, let length = completeLength(data), data.count >= length { break }
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw HTTPGetError.malformed(text) }
    let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let statusParts = headLines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HTTPGetError.malformed(text) }
    var headers: [String: String] = [:]
    var setCookies: [String] = []
    for line in headLines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = value
        if name == "set-cookie" { setCookies.append(value) }
    }
    return HTTPReply(status: status, headers: headers, body: String(text[split.upperBound...]), setCookies: setCookies)
}

/// The whole reply's length once its head is in and says Content-Length; nil before.
private func completeLength(_ data: [UInt8]) -> Int? {
    let marker: [UInt8] = [13, 10, 13, 10]
    guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<($0 + 4)]) == marker }) else { return nil }
    let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
    for line in head.components(separatedBy: "\r\n") where line.hasPrefix("content-length:") {
        if let n = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) { return end + 4 + n }
    }
    return nil
}
