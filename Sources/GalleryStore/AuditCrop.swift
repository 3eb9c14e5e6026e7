import Vocabulary

/// A face crop to be written with its audit row (`appendAudit(_:crops:)`), checked when made:
/// a crop that exists is one the store accepts, so writing it can only fail with the disk.
public struct AuditCrop: Sendable, Hashable {
    public let format: String
    public let width: Int
    public let height: Int
    public let image: [UInt8]
    public let descriptor: FaceDescriptor?
    public let model: String?
    public let detector: String?

    /// Throws `invalidField` naming what is wrong, as `storeCrop` does.
    public init(format: String, width: Int, height: Int, image: [UInt8], descriptor: FaceDescriptor?, model: String?,
                detector: String?) throws {
        let checked = try GalleryStore.validatedCrop(auditID: 0, format: format, width: width, height: height, image: image,
                                                     descriptor: descriptor, model: model, detector: detector,
                                                     createdWallNs: 0)
        self.format = checked.format; self.width = checked.width; self.height = checked.height; self.image = checked.image
        self.descriptor = checked.descriptor; self.model = checked.model; self.detector = checked.detector
    }
}
