import Foundation

/// Writes a frame as a binary PPM (RGB) or PGM (gray): formats every image viewer and
/// ImageMagick read, needing no image library here. Stride padding is dropped.
public enum FrameImageWriter {
    public static func portableAnymap(_ frame: VideoFrame) -> [UInt8] {
        let magic = frame.format == .rgb24 ? "P6" : "P5"
        var out = Array("\(magic)\n\(frame.width) \(frame.height)\n255\n".utf8)
        let rowBytes = Int(frame.width) * frame.format.bytesPerPixel
        out.reserveCapacity(out.count + rowBytes * Int(frame.height))
        frame.pixels.withUnsafeBytes { raw in
            for row in 0..<Int(frame.height) {
                let start = row * Int(frame.stride)
                out.append(contentsOf: raw[start..<start + rowBytes])
            }
        }
        return out
    }

    /// `<dir>/<camera>-<seq>[-txn<txn>].ppm|pgm`; returns the path written.
    @discardableResult
    public static func write(_ frame: VideoFrame, txn: UInt64? = nil, to directory: URL) throws -> URL {
        let ext = frame.format == .rgb24 ? "ppm" : "pgm"
        let name = "\(frame.camera)-\(frame.sequence)" + (txn.map { "-txn\($0)" } ?? "") + ".\(ext)"
        let url = directory.appendingPathComponent(name)
        try Data(portableAnymap(frame)).write(to: url)
        return url
    }
}
