import CJpegEncoder
import Vocabulary

/// JPEG encoding in memory with Debian's libjpeg-turbo, for the face chips the broker keeps.
///
/// Why JPEG and this quality, measured with `facegate-bench crops` on the 9 chips of the
/// reference photos (2026-12-02, this shared 2-core machine, three runs): raw RGB is 67,500
/// bytes a chip; JPEG at quality 85 a median 5,651 bytes (4,161-7,087), 12x smaller, encoded
/// in 0.08-0.11 ms, next to 75-190 ms for the same face's descriptor (under 0.2 %). q75 saves
/// another 1.3 kB but smears the eyes an operator looks at; q95 almost doubles the size. So
/// `[crops] max_total_mb = 200` holds ~35,000 faces, where raw chips would be ~3,000: on a
/// Raspberry Pi's SD card, JPEG. Why libjpeg and not dlib's `save_jpeg`: dlib's writes only
/// to a file path.
public enum JPEGEncoder {
    /// Faces stay recognisable to an operator; 95 doubles the size for no visible gain.
    public static let defaultQuality = 85

    public enum EncodeError: Error, Equatable, CustomStringConvertible {
        case invalidImage(String)
        case encoderFailed(String)

        public var description: String {
            switch self {
            case let .invalidImage(why): "cannot encode JPEG: \(why)"
            case let .encoderFailed(why): "JPEG encoder failed: \(why)"
            }
        }
    }

    /// The JPEG file's bytes for `image` (RGB or grey), at `quality` 1...100.
    public static func encode(_ image: Image, quality: Int = defaultQuality) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw EncodeError.invalidImage("quality \(quality) outside 1...100") }
        var message = [CChar](repeating: 0, count: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = image.bytes.withUnsafeBufferPointer { pixels in
            fg_jpeg_encode(pixels.baseAddress, pixels.count, Int32(clamping: image.width), Int32(clamping: image.height),
                           Int32(clamping: image.stride), Int32(image.format.bytesPerPixel), Int32(quality),
                           &output, &length, &message, message.count)
        }
        defer { fg_jpeg_free(output) }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case FG_JPEG_OK:
            guard let output else { throw EncodeError.encoderFailed("no output") }
            return Array(UnsafeBufferPointer(start: output, count: length))
        case FG_JPEG_INVALID_ARGUMENT: throw EncodeError.invalidImage(text)
        default: throw EncodeError.encoderFailed(text)
        }
    }

    /// A face chip as the wire and the store carry it.
    public static func chip(_ image: Image, quality: Int = defaultQuality) throws -> FaceChip {
        FaceChip(format: .jpeg, width: image.width, height: image.height, bytes: try encode(image, quality: quality))
    }
}
