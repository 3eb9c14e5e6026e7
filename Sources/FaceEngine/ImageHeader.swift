/// What a photo file says about itself before any pixel is decoded: its format and size.
///
/// Decoding allocates width × height × 3 bytes and more, whatever the file's own size (a
/// 2.7 MB PNG can announce 30000×30000), so callers compare the header with a pixel limit
/// first. Reads only the header fields of the formats `Image(contentsOfFile:)` accepts.
public struct ImageHeader: Sendable, Equatable {
    public enum Format: String, Sendable { case png = "PNG", jpeg = "JPEG", bmp = "BMP", ppm = "PPM", pgm = "PGM" }

    public var format: Format
    public var width: Int
    public var height: Int

    public var pixelCount: Int { width * height }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unknownFormat
        case truncated(Format)
        case noFrameHeader
        case malformed(Format, String)

        public var description: String {
            switch self {
            case .unknownFormat: "not a JPEG, PNG, BMP, PPM or PGM file (unknown header)"
            case let .truncated(format): "\(format.rawValue) header is truncated"
            case .noFrameHeader: "JPEG without a frame header (SOFn) giving its size"
            case let .malformed(format, why): "\(format.rawValue) header is malformed: \(why)"
            }
        }
    }

    public init(format: Format, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    public init(bytes: [UInt8]) throws {
        func be16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        func be32(_ at: Int) -> Int { be16(at) << 16 | be16(at + 2) }
        func le16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func le32(_ at: Int) -> Int32 { Int32(bitPattern: UInt32(le16(at)) | UInt32(le16(at + 2)) << 16) }

        if bytes.starts(with: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) {
            // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
            guard bytes.count >= 24, bytes[12...15].elementsEqual("IHDR".utf8) else { throw ParseError.truncated(.png) }
            self.init(format: .png, width: be32(16), height: be32(20))
        } else if bytes.starts(with: [0xff, 0xd8]) {
            var at = 2
            while true {
                // Fill bytes (0xff repeated) may precede a marker.
                while at < bytes.count && bytes[at] == 0xff && at + 1 < bytes.count && bytes[at + 1] == 0xff { at += 1 }
                guard at + 4 <= bytes.count, bytes[at] == 0xff else { throw ParseError.noFrameHeader }
                let marker = bytes[at + 1]
                // Markers without a length: TEM and RSTn; SOS and EOI come after the frame header.
                if marker == 0x01 || (0xd0...0xd7).contains(marker) { at += 2; continue }
                if marker == 0xda || marker == 0xd9 { throw ParseError.noFrameHeader }
                let length = be16(at + 2)
                // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
                if (0xc0...0xcf).contains(marker) && ![0xc4, 0xc8, 0xcc].contains(marker) {
                    guard at + 9 <= bytes.count else { throw ParseError.truncated(.jpeg) }
                    self.init(format: .jpeg, width: be16(at + 7), height: be16(at + 5))
                    return
                }
                guard length >= 2 else { throw ParseError.noFrameHeader }
                at += 2 + length
            }
        } else if bytes.starts(with: [0x42, 0x4d]) {
            guard bytes.count >= 26 else { throw ParseError.truncated(.bmp) }
            if le32(14) == 12 {
                // OS/2 BITMAPCOREHEADER: 16-bit sizes.
                self.init(format: .bmp, width: le16(18), height: le16(20))
            } else {
                // Negative height means rows stored top-down; the size is its magnitude.
                self.init(format: .bmp, width: abs(Int(le32(18))), height: abs(Int(le32(22))))
            }
        } else if PortableAnymap.hasSignature(bytes) {
            let format: Format = bytes[1] == UInt8(ascii: "5") ? .pgm : .ppm
            do {
                let header = try PortableAnymap(header: bytes)
                self.init(format: format, width: header.width, height: header.height)
            } catch PortableAnymap.HeaderError.malformed(let why) {
                throw ParseError.malformed(format, why)
            } catch {
                throw ParseError.truncated(format)
            }
        } else {
            throw ParseError.unknownFormat
        }
    }
}
