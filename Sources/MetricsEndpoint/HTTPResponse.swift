/// A complete HTTP/1.1 answer that closes the connection after it.
struct HTTPResponse {
    var status: String
    var contentType = "text/plain; charset=utf-8"
    var body: String
    /// HEAD: the headers of the body, not the body.
    var includeBody = true

    var bytes: [UInt8] {
        let payload = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? payload : [])
    }
}
