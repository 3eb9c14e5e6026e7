import Foundation

/// Small files whose headers announce enormous images: what an attacker (or a mistaken
/// export) hands to enrollment. Only the headers are meaningful; nothing here is decodable
/// beyond them, which is the point: they must be refused before a decoder sees them.
public enum HugeImageFiles {
    /// PNG signature, an IHDR chunk (with its CRC) for 8-bit RGB, a token IDAT, IEND.
    public static func png(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return be32(UInt32(data.count)) + typed + be32(crc32(typed))
        }
        let ihdr = be32(width) + be32(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + chunk("IHDR", ihdr)
            + chunk("IDAT", [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    /// SOI, an APP0 segment, then SOF0 with the size.
    public static func jpeg(width: UInt16, height: UInt16) -> [UInt8] {
        let app0: [UInt8] = [0xff, 0xe0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        let sof0: [UInt8] = [0xff, 0xc0, 0x00, 0x11, 8, UInt8(height >> 8), UInt8(height & 0xff),
                             UInt8(width >> 8), UInt8(width & 0xff), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        return [0xff, 0xd8] + app0 + sof0 + [0xff, 0xd9]
    }

    /// BITMAPFILEHEADER + BITMAPINFOHEADER, 24 bits; a negative height is a top-down bitmap.
    public static func bmp(width: Int32, height: Int32) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
        let file: [UInt8] = [0x42, 0x4d] + le32(54) + [0, 0, 0, 0] + le32(54)
        let info = le32(40) + le32(UInt32(bitPattern: width)) + le32(UInt32(bitPattern: height)) + [1, 0, 24, 0]
            + [UInt8](repeating: 0, count: 24)
        return file + info
    }

    /// A binary PPM (P6) header, with a comment as tools write one, and a few sample bytes.
    public static func ppm(width: Int, height: Int) -> [UInt8] {
        Array("P6\n# saved by a camera\n\(width) \(height)\n255\n".utf8) + [0, 0, 0]
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
