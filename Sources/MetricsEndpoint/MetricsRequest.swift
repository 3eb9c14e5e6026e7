/// What an HTTP request to the metrics server asks for, from its request line alone.
enum MetricsRequest: Equatable {
    /// `GET` or `HEAD` of `/metrics` (a query string is ignored: Prometheus adds none, curl users might).
    case metrics(method: String)
    case notFound

    struct Problem: Error, Equatable {
        var status: String
        var text: String
    }

    static func parse(_ head: [UInt8]) -> Result<MetricsRequest, Problem> {
        guard let end = head.firstIndex(of: 13) ?? head.firstIndex(of: 10) else {
            return .failure(Problem(status: "400 Bad Request", text: "request line not terminated"))
        }
        let line = String(decoding: head[..<end], as: UTF8.self)
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return .failure(Problem(status: "400 Bad Request", text: "malformed request line \"\(line.prefix(80))\""))
        }
        let method = String(parts[0])
        guard method == "GET" || method == "HEAD" else {
            return .failure(Problem(status: "405 Method Not Allowed", text: "method \(method.prefix(16)) not allowed: only GET and HEAD"))
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return .success(path == "/metrics" ? .metrics(method: method) : .notFound)
    }
}
