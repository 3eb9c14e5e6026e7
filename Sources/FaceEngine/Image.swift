import CDlibShim
import Foundation
import Vocabulary

/// Pixels the engine can look at: 8-bit RGB or grey, rows `stride` bytes apart.
///
/// Construction does not validate; the engine checks geometry against `bytes` on every call
/// and throws `FaceEngineError.invalidImage` naming what is wrong, so a bad frame from a peer
/// becomes an error for that frame, never a crash.
public struct Image: Sendable, Equatable {
    public var format: PixelFormat
    public var width: Int
    public var height: Int
    /// Bytes from the start of one row to the next (>= width * bytesPerPixel).
    public var stride: Int
    public var bytes: [UInt8]

    public init(format: PixelFormat, width: Int, height: Int, stride: Int, bytes: [UInt8]) {
        self.format = format
        self.width = width
        self.height = height
        self.stride = stride
        self.bytes = bytes
    }

    /// Tightly packed rows (stride = width * bytesPerPixel).
    public init(format: PixelFormat, width: Int, height: Int, bytes: [UInt8]) {
        self.init(format: format, width: width, height: height, stride: width * format.bytesPerPixel, bytes: bytes)
    }

    /// Decodes a JPEG, PNG or BMP file to RGB24 (alpha dropped, grey expanded), the way
    /// face_recognition's `load_image_file` does, so enrollment and tests see the same
    /// pixels as the reference. No EXIF rotation is applied (neither does the reference).
    /// Binary PPM and PGM (frames saved by facegate-tap) are read here, not by dlib.
    public init(contentsOfFile path: String) throws {
        if let handle = FileHandle(forReadingAtPath: path) {
            let start = (try? handle.read(upToCount: 2)) ?? nil
            try? handle.close()
            if let start, PortableAnymap.hasSignature([UInt8](start)) {
                self = try Image(portableAnymapAt: path)
                return
            }
        }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        try ShimCall.run { message, size in
            fg_load_rgb_image(path, &pixels, &width, &height, message, size)
        } failure: { status, message in
            status == FG_ERR_IMAGE_LOAD ? .imageLoadFailed(path: path, reason: message) : nil
        }
        defer { fg_free_pixels(pixels) }
        let count = Int(width) * Int(height) * 3
        let bytes = [UInt8](UnsafeBufferPointer(start: pixels, count: count))
        self.init(format: .rgb24, width: Int(width), height: Int(height), bytes: bytes)
    }

    private init(portableAnymapAt path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw FaceEngineError.imageLoadFailed(path: path, reason: "unreadable: \(error.localizedDescription)")
        }
        // Named by the file's own magic (it was P5 or P6 when sniffed).
        let kind = bytes.count > 1 && bytes[1] == UInt8(ascii: "5") ? "PGM" : "PPM"
        do {
            let header = try PortableAnymap(header: bytes)
            // The dlib loader's limit, for the same reason: the engine takes no larger side.
            let side = Int(FG_MAX_IMAGE_SIDE)
            guard (1...side).contains(header.width), (1...side).contains(header.height) else {
                throw FaceEngineError.imageLoadFailed(path: path, reason: "unsupported \(kind) image size \(header.width)x\(header.height)")
            }
            self.init(format: .rgb24, width: header.width, height: header.height, bytes: try header.rgb(from: bytes))
        } catch let error as FaceEngineError {
            throw error
        } catch PortableAnymap.HeaderError.malformed(let why) {
            throw FaceEngineError.imageLoadFailed(path: path, reason: "\(kind) file is malformed: \(why)")
        } catch {
            throw FaceEngineError.imageLoadFailed(path: path, reason: "\(kind) header is truncated")
        }
    }

    /// A grey copy (ITU-R BT.601 luma), for feeding the engine
    /// what a grey camera would deliver.
    public func grayscale() -> Image {
        guard format == .rgb24 else { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let row = y * stride
            for x in 0..<width {
                let r = Int(bytes[row + 3 * x]), g = Int(bytes[row + 3 * x + 1]), b = Int(bytes[row + 3 * x + 2])
                out[y * width + x] = UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
            }
        }
        return Image(format: .gray8, width: width, height: height, bytes: out)
    }
}

extension PixelFormat {
    var shimValue: Int32 {
        switch self {
        case .rgb24: Int32(FG_PIXEL_RGB24.rawValue)
        case .gray8: Int32(FG_PIXEL_GRAY8.rawValue)
        }
    }
}
