import Vocabulary

/// A judged face no member matched, whose crop kept the descriptor: a candidate to enroll.
public struct UnknownFace: Sendable, Hashable {
    public var auditID: Int64
    public var camera: String?
    /// When the decision was made (wall clock, ns since the Unix epoch).
    public var timeWallNs: Int64
    /// Distance to the nearest member when there was one (ambiguous faces, far strangers).
    public var distance: Double?
    public var descriptor: FaceDescriptor

    public init(auditID: Int64, camera: String?, timeWallNs: Int64, distance: Double?, descriptor: FaceDescriptor) {
        self.auditID = auditID; self.camera = camera; self.timeWallNs = timeWallNs; self.distance = distance
        self.descriptor = descriptor
    }
}
