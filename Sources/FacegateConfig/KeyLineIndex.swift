/// The line on which each key of a TOML document is written.
///
/// TOMLKit hands back values without their place in the file, yet an operator needs the line
/// of a wrong value, not just its name. This scanner walks the same text again and records,
/// for every key path, the line where it first appears. It only ever runs on text that TOMLKit
/// parsed successfully, so it can be lenient: it needs to follow the structure (headers,
/// dotted keys, strings, arrays, inline tables), not to validate it.
///
/// Paths are key names with array positions written as `[n]`:
/// `["cameras", "[1]", "zones", "DC006"]`.
struct KeyLineIndex {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.run()
        lines = scanner.lines
    }

    /// The line of `path`, or of its nearest ancestor that is written in the file (a missing
    /// key is reported at its table's header).
    func line(of path: [String]) -> Int? {
        var path = path
        while !path.isEmpty {
            if let line = lines[KeyLineIndex.key(path)] { return line }
            path.removeLast()
        }
        return nil
    }

    static func key(_ path: [String]) -> String { path.joined(separator: "\u{1F}") }

    static func element(_ index: Int) -> String { "[\(index)]" }
}

private struct Scanner {
    let bytes: [UInt8]
    var position = 0
    var line = 1
    var lines: [String: Int] = [:]
    /// How many `[[name]]` headers were seen for each resolved array path.
    var arrayCounts: [String: Int] = [:]

    init(bytes: [UInt8]) { self.bytes = bytes }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func advance() {
        if bytes[position] == UInt8(ascii: "\n") { line += 1 }
        position += 1
    }

    mutating func record(_ path: [String], line: Int) {
        let key = KeyLineIndex.key(path)
        if lines[key] == nil { lines[key] = line }
    }

    mutating func run() {
        var table: [String] = []
        while true {
            skipTrivia(acrossLines: true)
            guard let byte = current else { return }
            let start = position
            if byte == UInt8(ascii: "[") {
                let headerLine = line
                let isArray = peek(1) == UInt8(ascii: "[")
                position += isArray ? 2 : 1
                let name = resolve(parseKey())
                skipTrivia(acrossLines: false)
                while current == UInt8(ascii: "]") { position += 1 }
                record(name, line: headerLine)
                if isArray {
                    let key = KeyLineIndex.key(name)
                    let index = arrayCounts[key, default: 0]
                    arrayCounts[key] = index + 1
                    table = name + [KeyLineIndex.element(index)]
                    record(table, line: headerLine)
                } else {
                    table = name
                }
            } else {
                parseKeyValue(in: table)
            }
            skipToEndOfLine()
            if position == start { advance() }
        }
    }

    /// Header names step into the latest element of any array of tables they pass through.
    func resolve(_ name: [String]) -> [String] {
        var resolved: [String] = []
        for (offset, component) in name.enumerated() {
            resolved.append(component)
            if offset < name.count - 1, let count = arrayCounts[KeyLineIndex.key(resolved)] {
                resolved.append(KeyLineIndex.element(count - 1))
            }
        }
        return resolved
    }

    mutating func parseKeyValue(in table: [String]) {
        let keyLine = line
        let key = parseKey()
        guard !key.isEmpty else { return }
        for length in 1...key.count { record(table + key.prefix(length), line: keyLine) }
        skipTrivia(acrossLines: false)
        guard current == UInt8(ascii: "=") else { return }
        position += 1
        skipTrivia(acrossLines: false)
        parseValue(table + key)
    }

    mutating func parseValue(_ path: [String]) {
        guard let byte = current else { return }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            skipString()
        case UInt8(ascii: "["):
            position += 1
            var index = 0
            while true {
                skipTrivia(acrossLines: true)
                guard let next = current else { return }
                if next == UInt8(ascii: "]") { position += 1; return }
                if next == UInt8(ascii: ",") { position += 1; continue }
                let element = path + [KeyLineIndex.element(index)]
                record(element, line: line)
                let before = position
                parseValue(element)
                if position == before { advance() }
                index += 1
            }
        case UInt8(ascii: "{"):
            position += 1
            while true {
                skipTrivia(acrossLines: true)
                guard let next = current else { return }
                if next == UInt8(ascii: "}") { position += 1; return }
                if next == UInt8(ascii: ",") { position += 1; continue }
                let before = position
                parseKeyValue(in: path)
                if position == before { advance() }
            }
        default:
            // Numbers, booleans, dates (which may contain a space): up to a delimiter.
            while let next = current, !Scanner.scalarTerminators.contains(next) { position += 1 }
        }
    }

    static let scalarTerminators: Set<UInt8> = Set(",]}#\n\r".utf8)

    mutating func skipString() {
        let quote = bytes[position]
        let triple = peek(1) == quote && peek(2) == quote
        position += triple ? 3 : 1
        let escapes = quote == UInt8(ascii: "\"")
        while let byte = current {
            if escapes && byte == UInt8(ascii: "\\") {
                advance()
                if current != nil { advance() }
                continue
            }
            if byte == quote {
                if !triple { position += 1; return }
                if peek(1) == quote && peek(2) == quote {
                    position += 3
                    // A closing delimiter may be preceded by up to two more quotes of content.
                    while current == quote { position += 1 }
                    return
                }
            }
            if !triple && byte == UInt8(ascii: "\n") { return }
            advance()
        }
    }

    /// A dotted key: bare, "basic" or 'literal' components.
    mutating func parseKey() -> [String] {
        var components: [String] = []
        while true {
            skipTrivia(acrossLines: false)
            guard let byte = current else { break }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                components.append(parseQuotedKey(quote: byte))
            } else {
                let start = position
                while let next = current, Scanner.isBareKeyByte(next) { position += 1 }
                if position == start { break }
                components.append(String(decoding: bytes[start..<position], as: UTF8.self))
            }
            skipTrivia(acrossLines: false)
            guard current == UInt8(ascii: ".") else { break }
            position += 1
        }
        return components
    }

    mutating func parseQuotedKey(quote: UInt8) -> String {
        position += 1
        var out: [UInt8] = []
        while let byte = current, byte != quote, byte != UInt8(ascii: "\n") {
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), let escaped = peek(1) {
                position += 2
                switch escaped {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let digits = escaped == UInt8(ascii: "u") ? 4 : 8
                    let end = min(position + digits, bytes.count)
                    let hex = String(decoding: bytes[position..<end], as: UTF8.self)
                    position = end
                    if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    }
                default: out.append(escaped)
                }
                continue
            }
            out.append(byte)
            position += 1
        }
        if current == quote { position += 1 }
        return String(decoding: out, as: UTF8.self)
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    /// Spaces, tabs and comments; newlines too when `acrossLines`.
    mutating func skipTrivia(acrossLines: Bool) {
        while let byte = current {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = current, next != UInt8(ascii: "\n") { position += 1 }
            } else if acrossLines && byte == UInt8(ascii: "\n") {
                advance()
            } else {
                return
            }
        }
    }

    mutating func skipToEndOfLine() {
        while let byte = current, byte != UInt8(ascii: "\n") { position += 1 }
    }
}
