import BrokerCore

/// A member as `facegate members list` shows it.
public struct MemberRecord: Hashable, Sendable {
    public var id: MemberID
    public var name: String
    public var createdWallNs: Int64
    public var faceCount: Int
    public var grants: [LockID]

    public var ref: MemberRef { MemberRef(id: id, name: name) }
}

/// One enrolled face descriptor and where it came from.
public struct FaceRecord: Hashable, Sendable {
    public var id: Int64
    public var member: MemberRef
    public var descriptor: FaceDescriptor
    /// sha256 of the source image file, lowercase hex.
    public var sourceSHA256: String
    /// Which descriptor model produced it (e.g. `dlib_face_recognition_resnet_model_v1`).
    public var model: String
    /// Detector settings used when enrolling (e.g. `hog upsample=1 landmarks=5`).
    public var detector: String
    public var createdWallNs: Int64
}

public struct GrantRecord: Hashable, Sendable {
    public var member: MemberRef
    public var lock: LockID
    public var createdWallNs: Int64
}

/// What `loadGallery` returns: the gallery and the change token it corresponds to, read in
/// one transaction so the two agree.
public struct GallerySnapshot: Sendable {
    public var gallery: Gallery
    public var token: GalleryChangeToken
}

/// Moves whenever members, faces or grants change (by any process, any connection). Compare
/// with the token of the gallery in use; reload when different.
public struct GalleryChangeToken: Hashable, Sendable, CustomStringConvertible {
    public var generation: Int64
    public var description: String { String(generation) }
}

/// One decision as stored in the audit table.
public struct AuditEntry: Hashable, Sendable {
    /// Wall-clock time of the decision, ns since the Unix epoch.
    public var timeWallNs: Int64
    public var camera: String?
    public var txn: DetectingTxn
    public var faceIndex: Int?
    public var captureMonotonicNs: UInt64?
    public var captureWallNs: Int64?
    /// nil: no member recognized (unknown or ambiguous face).
    public var member: MemberRef?
    public var distance: Double?
    /// The stored capture snapshot as JSON (sorted keys), nil when the txn was unknown.
    public var snapshotJSON: String?
    public var unlockedLocks: [LockID]
    public var kind: DecisionKind
    public var reason: String

    public init(timeWallNs: Int64, camera: String?, txn: DetectingTxn, faceIndex: Int?, captureMonotonicNs: UInt64?,
                captureWallNs: Int64?, member: MemberRef?, distance: Double?, snapshotJSON: String?,
                unlockedLocks: [LockID], kind: DecisionKind, reason: String) {
        self.timeWallNs = timeWallNs; self.camera = camera; self.txn = txn; self.faceIndex = faceIndex
        self.captureMonotonicNs = captureMonotonicNs; self.captureWallNs = captureWallNs
        self.member = member; self.distance = distance; self.snapshotJSON = snapshotJSON
        self.unlockedLocks = unlockedLocks; self.kind = kind; self.reason = reason
    }
}

public struct AuditRecord: Hashable, Sendable {
    /// Increasing: `auditTail(afterID:)` follows new rows by it.
    public var id: Int64
    public var entry: AuditEntry
}
