import CZlib
import Foundation
import WireProtocol

/// A frame as a PNG file: 8-bit RGB or grey, every row Up-filtered, one zlib stream at
/// level 1.
///
/// zlib from Swift rather than libpng through the dlib shim: the deflate is the same either
/// way (libpng calls zlib), and the tap stays a socket tool that loads neither dlib nor BLAS.
/// Measured (2 shared cores) on a 640x360 frame of the clip: PPM 691 KB; this 120 KB in 21 ms;
/// libpng's defaults (adaptive filters, level 6) 104 KB in 57 ms. On a 1280x720 photo: PPM
/// 2.8 MB, this 633 KB, libpng 608 KB in nearly three times the time. Level 1 keeps up with a
/// camera's frame rate; the few percent more that libpng saves do not matter for a saved frame.
enum FramePNG {
    enum EncodeError: Error, CustomStringConvertible {
        case zlib(Int32)
        var description: String {
            switch self {
            case let .zlib(code): "zlib compress2 failed with code \(code)"
            }
        }
    }

    static let compressionLevel: Int32 = 1

    static func encode(_ frame: VideoFrame) throws -> [UInt8] {
        let width = Int(frame.width), height = Int(frame.height), stride = Int(frame.stride)
        let rowBytes = width * frame.format.bytesPerPixel
        // Each row: filter type 2 (Up), then each byte minus the byte above it (zero above row 0).
        var filtered = [UInt8](repeating: 0, count: (rowBytes + 1) * height)
        frame.pixels.withUnsafeBytes { raw in
            filtered.withUnsafeMutableBufferPointer { out in
                for row in 0..<height {
                    let line = row * (rowBytes + 1)
                    out[line] = 2
                    let current = row * stride, above = current - stride
                    for x in 0..<rowBytes {
                        out[line + 1 + x] = row == 0 ? raw[current + x] : raw[current + x] &- raw[above + x]
                    }
                }
            }
        }
        var compressedLength = compressBound(uLong(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, filtered, uLong(filtered.count), compressionLevel)
        guard status == Z_OK else { throw EncodeError.zlib(status) }
        compressed.removeSubrange(Int(compressedLength)...)

        let colourType: UInt8 = frame.format == .rgb24 ? 2 : 0
        let header = be32(UInt32(width)) + be32(UInt32(height)) + [8, colourType, 0, 0, 0]
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
            + chunk("IHDR", header) + chunk("IDAT", compressed) + chunk("IEND", [])
    }

    /// `<dir>/<camera>-<seq>[-txn<txn>].png` (the PPM writer's names); returns the path written.
    @discardableResult
    static func write(_ frame: VideoFrame, txn: UInt64? = nil, to directory: URL) throws -> URL {
        let name = "\(frame.camera)-\(frame.sequence)" + (txn.map { "-txn\($0)" } ?? "") + ".png"
        let url = directory.appendingPathComponent(name)
        try Data(try encode(frame)).write(to: url)
        return url
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return be32(UInt32(data.count)) + typed + be32(crc)
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
}
