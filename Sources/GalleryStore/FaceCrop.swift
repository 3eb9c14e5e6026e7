import Vocabulary

/// The small picture kept with one judged face's audit row: dlib's aligned face chip, encoded.
public struct FaceCrop: Sendable, Hashable {
    public var auditID: Int64
    /// `jpeg` (the only format stored; see `GalleryStore.cropFormats`).
    public var format: String
    public var width: Int
    public var height: Int
    /// The encoded picture, as served to a browser.
    public var image: [UInt8]
    public var createdWallNs: Int64
    /// Kept for faces no member matched, so the crop can be enrolled; nil for the others.
    public var descriptor: FaceDescriptor?
    /// The descriptor model and detector settings, as `face_descriptor` records them.
    public var model: String?
    public var detector: String?
    /// The gallery face this crop was enrolled as, if any.
    public var enrolledFaceID: Int64?

    public init(auditID: Int64, format: String, width: Int, height: Int, image: [UInt8], createdWallNs: Int64,
                descriptor: FaceDescriptor? = nil, model: String? = nil, detector: String? = nil,
                enrolledFaceID: Int64? = nil) {
        self.auditID = auditID; self.format = format; self.width = width; self.height = height; self.image = image
        self.createdWallNs = createdWallNs; self.descriptor = descriptor; self.model = model; self.detector = detector
        self.enrolledFaceID = enrolledFaceID
    }
}
