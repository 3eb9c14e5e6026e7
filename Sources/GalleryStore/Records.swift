import BrokerCore
import Vocabulary

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
    /// For `unlock`: the locks whose command was delivered, or is still being delivered, or
    /// whose fate is unknown; never empty. For `unlock_failed`: empty (see `deliveries`).
    public var unlockedLocks: [LockID]
    public var kind: DecisionKind
    public var reason: String
    /// One per unlock command the decision asked for (unlock and unlock_failed rows only).
    public var deliveries: [UnlockDelivery]

    public init(timeWallNs: Int64, camera: String?, txn: DetectingTxn, faceIndex: Int?, captureMonotonicNs: UInt64?,
                captureWallNs: Int64?, member: MemberRef?, distance: Double?, snapshotJSON: String?,
                unlockedLocks: [LockID], kind: DecisionKind, reason: String, deliveries: [UnlockDelivery] = []) {
        self.timeWallNs = timeWallNs; self.camera = camera; self.txn = txn; self.faceIndex = faceIndex
        self.captureMonotonicNs = captureMonotonicNs; self.captureWallNs = captureWallNs
        self.member = member; self.distance = distance; self.snapshotJSON = snapshotJSON
        self.unlockedLocks = unlockedLocks; self.kind = kind; self.reason = reason; self.deliveries = deliveries
    }
}

/// What became of one unlock command: written with its audit row before it is published
/// (`pending`), then updated with the publish outcome and the lock's own report.
public struct UnlockDelivery: Hashable, Sendable {
    public enum State: String, Hashable, Sendable, CaseIterable {
        /// Row committed, outcome not known yet.
        case pending
        /// Handed over: PUBACK received (QoS 1), or written to the socket (QoS 0).
        case published
        /// Not handed over: MQTT down, publish refused, or no PUBACK before the deadline.
        case failed
        /// The broker stopped (or the connection dropped a QoS 0 command) before the outcome was
        /// known: the command may or may not have gone out.
        case unknown
    }

    public enum Confirmation: String, Hashable, Sendable, CaseIterable {
        /// The lock reported the unlocked state within `confirm_timeout` of the publish.
        case confirmed
        /// It did not.
        case unconfirmed
    }

    public var lock: LockID
    public var qos: Int
    public var state: State
    /// Why it failed or is unknown, or how it was handed over.
    public var detail: String?
    public var outcomeWallNs: Int64?
    public var confirmation: Confirmation?
    public var confirmationWallNs: Int64?

    public init(lock: LockID, qos: Int, state: State = .pending, detail: String? = nil, outcomeWallNs: Int64? = nil,
                confirmation: Confirmation? = nil, confirmationWallNs: Int64? = nil) {
        self.lock = lock; self.qos = qos; self.state = state; self.detail = detail; self.outcomeWallNs = outcomeWallNs
        self.confirmation = confirmation; self.confirmationWallNs = confirmationWallNs
    }

    /// One word for listings: `pending`, `published`, `failed`, `unknown`, or the
    /// confirmation once there is one.
    public var summary: String { confirmation?.rawValue ?? state.rawValue }
}

public struct AuditRecord: Hashable, Sendable {
    /// Increasing: `auditTail(afterID:)` follows new rows by it.
    public var id: Int64
    public var entry: AuditEntry
}
