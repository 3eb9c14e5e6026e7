import FaceEngine

/// The pixel limit for photos given to the admin CLI, applied to the file's header before any
/// decoding: a small file can announce a huge image, and the decoder would allocate it all
/// before noticing anything.
struct PhotoSizeLimit {
    let maxPixels: Int

    /// The header of the photo in `bytes`, or the refusal naming the file, its size and the limit.
    @discardableResult
    func check(_ path: String, bytes: [UInt8]) throws -> ImageHeader {
        let header: ImageHeader
        do {
            header = try ImageHeader(bytes: bytes)
        } catch let error as ImageHeader.ParseError {
            throw AdminError.unreadablePhoto(path: path, reason: "not a readable JPEG, PNG, BMP, PPM or PGM image (\(error))")
        }
        guard header.width > 0, header.height > 0 else {
            throw AdminError.unreadablePhoto(path: path, reason: "\(header.format.rawValue) header gives an empty image (\(header.width)x\(header.height))")
        }
        guard header.pixelCount <= maxPixels else {
            throw AdminError.unreadablePhoto(path: path, reason: "\(header.width)x\(header.height) pixels (\(Self.megapixels(header.pixelCount))) "
                + "is more than the limit of \(maxPixels) pixels (\(Self.megapixels(maxPixels)); recognizer.max_photo_pixels "
                + "or --max-pixels), refused before decoding")
        }
        return header
    }

    static func megapixels(_ pixels: Int) -> String {
        let tenths = (pixels + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MP"
    }
}
