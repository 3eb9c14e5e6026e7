/// Bounds-checked big-endian reads over an untrusted body. Every read names its field so a
/// truncation error says exactly where the peer's bytes ran out.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.end = bytes.count
    }

    var remaining: Int { end - offset }

    private mutating func take(_ n: Int, _ field: String) throws -> Int {
        guard n <= remaining else { throw WireError.truncated(field: field, needed: n, available: remaining) }
        let start = offset
        offset += n
        return start
    }

    mutating func u8(_ field: String) throws -> UInt8 { bytes[try take(1, field)] }

    mutating func u16(_ field: String) throws -> UInt16 {
        let i = try take(2, field)
        return UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }

    mutating func u32(_ field: String) throws -> UInt32 {
        let i = try take(4, field)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(bytes[i + k]) }
        return v
    }

    mutating func u64(_ field: String) throws -> UInt64 {
        let i = try take(8, field)
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(bytes[i + k]) }
        return v
    }

    mutating func i32(_ field: String) throws -> Int32 { Int32(bitPattern: try u32(field)) }
    mutating func i64(_ field: String) throws -> Int64 { Int64(bitPattern: try u64(field)) }

    mutating func f32(_ field: String) throws -> Float { Float(bitPattern: try u32(field)) }

    /// u16 length + UTF-8, at most `maxBytes`.
    mutating func string(_ field: String, maxBytes: Int) throws -> String {
        let length = Int(try u16("\(field).length"))
        return try utf8(field, length: length, maxBytes: maxBytes)
    }

    /// u32 length + UTF-8, at most `maxBytes`.
    mutating func longString(_ field: String, maxBytes: Int) throws -> String {
        let length = Int(try u32("\(field).length"))
        return try utf8(field, length: length, maxBytes: maxBytes)
    }

    private mutating func utf8(_ field: String, length: Int, maxBytes: Int) throws -> String {
        guard length <= maxBytes else {
            throw WireError.invalidField(field: field, reason: "length \(length) exceeds \(maxBytes)")
        }
        let start = try take(length, field)
        guard let s = String(validating: bytes[start..<start + length], as: UTF8.self) else {
            throw WireError.invalidField(field: field, reason: "not valid UTF-8")
        }
        return s
    }

    /// The next `n` bytes as a range of `bytes` (no copy).
    mutating func range(_ n: Int, _ field: String) throws -> Range<Int> {
        let start = try take(n, field)
        return start..<start + n
    }

    func expectEnd(kind: String) throws {
        guard remaining == 0 else { throw WireError.trailingBytes(kind: kind, count: remaining) }
    }
}
