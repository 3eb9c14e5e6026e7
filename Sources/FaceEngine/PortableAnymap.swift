/// Binary PPM (P6, RGB) and PGM (P5, grey): what facegate-tap writes frames as, read here so
/// that `facegate faces check` and enrollment take a saved frame as it is. dlib's loader does
/// not read them, and they need no library: a text header, then the raw samples.
///
/// Header: magic, width, height, maxval, separated by whitespace with `#` comments to the end
/// of a line; exactly one whitespace byte; then rows top to bottom, 1 byte per sample (2,
/// big-endian, when maxval > 255).
struct PortableAnymap {
    var gray: Bool
    var width: Int
    var height: Int
    var maxValue: Int
    /// Where the samples start.
    var dataOffset: Int

    /// True when `bytes` starts like a binary PPM or PGM.
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && (bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "6"))
    }

    enum HeaderError: Error, Equatable {
        case truncated
        case malformed(String)
    }

    /// Reads the header only: nothing is allocated for the pixels.
    init(header bytes: [UInt8]) throws {
        guard Self.hasSignature(bytes) else { throw HeaderError.malformed("no P5/P6 signature") }
        gray = bytes[1] == UInt8(ascii: "5")
        var at = 2
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0d).contains(b) }
        func field(_ name: String) throws -> Int {
            // At least one whitespace byte or comment before each field.
            var separated = false
            while at < bytes.count {
                if isSpace(bytes[at]) {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "#") {
                    while at < bytes.count && bytes[at] != 0x0a && bytes[at] != 0x0d { at += 1 }
                } else {
                    break
                }
                separated = true
            }
            guard at < bytes.count else { throw HeaderError.truncated }
            guard separated else { throw HeaderError.malformed("\(name) is not separated by whitespace") }
            var value = 0, digits = 0
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) {
                // More than 9 digits is beyond any size or maxval this reader accepts.
                guard digits < 9 else { throw HeaderError.malformed("\(name) has too many digits") }
                value = value * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                digits += 1
                at += 1
            }
            guard digits > 0 else {
                throw at < bytes.count ? HeaderError.malformed("\(name) is not a number") : HeaderError.truncated
            }
            return value
        }
        width = try field("width")
        height = try field("height")
        maxValue = try field("maxval")
        guard (1...65535).contains(maxValue) else { throw HeaderError.malformed("maxval \(maxValue) is outside 1...65535") }
        guard at < bytes.count else { throw HeaderError.truncated }
        guard isSpace(bytes[at]) else { throw HeaderError.malformed("maxval is not followed by whitespace") }
        dataOffset = at + 1
    }

    var samplesPerPixel: Int { gray ? 1 : 3 }
    var bytesPerSample: Int { maxValue > 255 ? 2 : 1 }
    var dataLength: Int { width * height * samplesPerPixel * bytesPerSample }

    /// The pixels as tightly packed RGB24 (grey expanded, samples scaled to 0...255), the
    /// shape the dlib loader gives for the other formats.
    func rgb(from bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count - dataOffset >= dataLength else {
            throw HeaderError.malformed("\(width)x\(height) needs \(dataLength) bytes of samples, the file has \(bytes.count - dataOffset)")
        }
        let pixels = width * height
        var out = [UInt8](repeating: 0, count: pixels * 3)
        let wide = bytesPerSample == 2, maxValue = maxValue, spp = samplesPerPixel, base = dataOffset
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                func sample(_ i: Int) -> UInt8 {
                    let v = wide ? Int(src[base + 2 * i]) << 8 | Int(src[base + 2 * i + 1]) : Int(src[base + i])
                    return maxValue == 255 ? UInt8(v) : UInt8((min(v, maxValue) * 255 + maxValue / 2) / maxValue)
                }
                for p in 0..<pixels {
                    if spp == 1 {
                        let g = sample(p)
                        dst[3 * p] = g; dst[3 * p + 1] = g; dst[3 * p + 2] = g
                    } else {
                        dst[3 * p] = sample(3 * p); dst[3 * p + 1] = sample(3 * p + 1); dst[3 * p + 2] = sample(3 * p + 2)
                    }
                }
            }
        }
        return out
    }
}
