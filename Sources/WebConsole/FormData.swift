import Foundation

/// `application/x-www-form-urlencoded` bodies and query strings: name → first value.
public struct FormData: Sendable {
    public var fields: [String: String] = [:]

    public init(urlEncoded text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    public subscript(_ name: String) -> String? { fields[name] }

    static func decode(_ s: Substring) -> String {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
    }
}

/// `multipart/form-data`: the parts of an upload form (text fields and one file).
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public var name: String
        public var filename: String?
        public var body: [UInt8]
    }

    public var parts: [Part] = []

    public enum Failure: Error, CustomStringConvertible {
        case noBoundary, malformed(String)
        public var description: String {
            switch self {
            case .noBoundary: "multipart form without a boundary in its Content-Type"
            case let .malformed(why): "malformed multipart form: \(why)"
            }
        }
    }

    public init(body: [UInt8], contentType: String) throws {
        guard let range = contentType.range(of: "boundary=") else { throw Failure.noBoundary }
        var boundary = String(contentType[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty else { throw Failure.noBoundary }
        let delimiter = Array(("--" + boundary).utf8)
        var positions: [Int] = []
        var i = 0
        while let found = Self.find(delimiter, in: body, from: i) { positions.append(found); i = found + delimiter.count }
        guard positions.count >= 2 else { throw Failure.malformed("fewer than two boundaries") }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            if partStart + 1 < body.count, body[partStart] == 13, body[partStart + 1] == 10 { partStart += 2 }
            var partEnd = end
            if partEnd >= 2, body[partEnd - 2] == 13, body[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart <= partEnd, let split = Self.find([13, 10, 13, 10], in: Array(body[partStart..<partEnd]), from: 0) else {
                throw Failure.malformed("a part without headers")
            }
            let headers = String(decoding: body[partStart..<(partStart + split)], as: UTF8.self)
            let content = Array(body[(partStart + split + 4)..<partEnd])
            var name: String?, filename: String?
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = Self.parameter("name", in: line)
                filename = Self.parameter("filename", in: line)
            }
            guard let name else { throw Failure.malformed("a part without a name") }
            parts.append(Part(name: name, filename: filename, body: content))
        }
    }

    public func text(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.body, as: UTF8.self) }
    }

    public func file(_ name: String) -> Part? { parts.first { $0.name == name && $0.filename != nil } }

    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(key + "=") {
                return String(trimmed.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
