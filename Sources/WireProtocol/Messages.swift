import Vocabulary

/// The protocol version both sides put in their hello. Bump on any layout change (see the
/// history at the end of MessageCodec's header).
public let wireProtocolVersion: UInt16 = 3

/// Limits every decoder enforces, whatever the connection's frame-size limit.
public enum WireLimits {
    public static let maxIdentifierBytes = 64          // camera ids, lock ids
    public static let maxNameBytes = 255               // process names, counter names, peer labels
    public static let maxMessageTextBytes = 4096       // error texts
    public static let maxStatusBytes = 1 << 20         // status JSON
    public static let maxDimension: UInt32 = 16384     // width or height of a frame
    public static let maxSnapshotSessions = 256
    public static let maxFaces = 64
    public static let descriptorLength = FaceDescriptor.dimension
    /// Points of a face's landmarks when present (dlib's 68-point shape).
    public static let landmarkCount = FaceLandmarks.count
    public static let maxCounters = 256
    public static let maxCredit: UInt32 = 1024
}

/// Which executable is at the other end. A server states which roles it accepts.
public enum PeerRole: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case capture = 1, broker = 2, recognizer = 3, tap = 4, admin = 5
    /// A camera's own motion events (facegate-onvif), for one camera like a capture.
    case motion = 6
    public var description: String {
        switch self {
        case .capture: "capture"
        case .motion: "motion"
        case .broker: "broker"
        case .recognizer: "recognizer"
        case .tap: "tap"
        case .admin: "admin"
        }
    }
}

public struct Hello: Sendable, Equatable {
    public var version: UInt16
    public var role: PeerRole
    public var name: String
    public var pid: UInt32
    /// The camera of a capture or motion process; empty for every other role.
    public var camera: String

    public init(version: UInt16 = wireProtocolVersion, role: PeerRole, name: String, pid: UInt32, camera: String = "") {
        self.version = version; self.role = role; self.name = name; self.pid = pid; self.camera = camera
    }
}

/// A captured image and when it was captured. `captureMonotonicNs` is CLOCK_MONOTONIC: the
/// instant the broker computes the snapshot for; the wall time is for people reading logs.
public struct VideoFrame: Sendable, Equatable {
    public var camera: String
    public var sequence: UInt64
    public var captureMonotonicNs: UInt64
    public var captureWallNs: Int64
    public var format: PixelFormat
    public var width: UInt32
    public var height: UInt32
    public var stride: UInt32
    public var pixels: PixelData

    public init(camera: String, sequence: UInt64, captureMonotonicNs: UInt64, captureWallNs: Int64,
                format: PixelFormat, width: UInt32, height: UInt32, stride: UInt32, pixels: PixelData) {
        self.camera = camera; self.sequence = sequence
        self.captureMonotonicNs = captureMonotonicNs; self.captureWallNs = captureWallNs
        self.format = format; self.width = width; self.height = height; self.stride = stride; self.pixels = pixels
    }
}

/// One lock session open at the frame's capture time.
public struct SnapshotSession: Sendable, Equatable, Hashable {
    public var sessionID: UInt64
    public var lock: String
    public init(sessionID: UInt64, lock: String) { self.sessionID = sessionID; self.lock = lock }
}

/// The context as of the frame's capture time. The broker decides from its own stored copy;
/// this copy travels for the tap and the logs, and tells the recognizer what to compute.
public struct Snapshot: Sendable, Equatable {
    public var captureMonotonicNs: UInt64
    public var motion: Bool
    public var sessions: [SnapshotSession]
    /// The broker wants each face's 68-point landmarks (a lock of this frame judges
    /// liveness); the recognizer spends nothing on them otherwise.
    public var landmarksWanted: Bool
    public init(captureMonotonicNs: UInt64, motion: Bool, sessions: [SnapshotSession], landmarksWanted: Bool = false) {
        self.captureMonotonicNs = captureMonotonicNs; self.motion = motion; self.sessions = sessions
        self.landmarksWanted = landmarksWanted
    }
}

/// Broker → recognizer: recognise this frame, answer with this txn.
public struct Detect: Sendable, Equatable {
    public var txn: UInt64
    public var snapshot: Snapshot
    public var frame: VideoFrame
    public init(txn: UInt64, snapshot: Snapshot, frame: VideoFrame) {
        self.txn = txn; self.snapshot = snapshot; self.frame = frame
    }
}

/// Recognizer → broker: the faces found in the frame of `txn`.
public struct RecognitionResult: Sendable, Equatable {
    public var txn: UInt64
    public var camera: String
    public var sequence: UInt64
    public var captureMonotonicNs: UInt64
    public var detectMicros: UInt32
    public var descriptorMicros: UInt32
    public var faces: [DetectedFace]
    public init(txn: UInt64, camera: String, sequence: UInt64, captureMonotonicNs: UInt64,
                detectMicros: UInt32, descriptorMicros: UInt32, faces: [DetectedFace]) {
        self.txn = txn; self.camera = camera; self.sequence = sequence; self.captureMonotonicNs = captureMonotonicNs
        self.detectMicros = detectMicros; self.descriptorMicros = descriptorMicros; self.faces = faces
    }
}

/// Recognizer → broker: "send me this many more detects". Pull-based flow control: the broker
/// never sends work a recognizer did not ask for, so a slow recognizer builds no queue.
public struct Credit: Sendable, Equatable {
    public var count: UInt32
    public init(count: UInt32) { self.count = count }
}

/// Liveness plus the sender's counters (frames captured, sent, dropped, ...).
public struct Heartbeat: Sendable, Equatable {
    public var monotonicNs: UInt64
    public var counters: [Counter]
    public init(monotonicNs: UInt64, counters: [Counter] = []) { self.monotonicNs = monotonicNs; self.counters = counters }
}

public struct Counter: Sendable, Equatable {
    public var name: String
    public var value: UInt64
    public init(_ name: String, _ value: UInt64) { self.name = name; self.value = value }
}

public enum ErrorCode: UInt16, Sendable, CustomStringConvertible {
    case badMessage = 1, unsupportedVersion = 2, roleRejected = 3, frameTooLarge = 4
    case invalidFrame = 5, internalError = 6, peerRejected = 7
    public var description: String {
        switch self {
        case .badMessage: "bad-message"
        case .unsupportedVersion: "unsupported-version"
        case .roleRejected: "role-rejected"
        case .frameTooLarge: "frame-too-large"
        case .invalidFrame: "invalid-frame"
        case .internalError: "internal-error"
        case .peerRejected: "peer-rejected"
        }
    }
}

/// Sent before closing a connection for a protocol fault (txn 0), or by a recognizer as the
/// answer to one detect it could not process (txn set): the broker then audits that txn.
public struct ErrorMessage: Sendable, Equatable {
    public var code: ErrorCode
    public var txn: UInt64
    public var text: String
    public init(code: ErrorCode, txn: UInt64 = 0, text: String) { self.code = code; self.txn = txn; self.text = text }
}

/// Tap client → process: which copies to send.
public struct TapSubscribe: Sendable, Equatable {
    /// Bit `1 << kind.rawValue` per wanted kind; 0 means every kind.
    public var kindMask: UInt32
    /// Pixels are stripped from frame copies unless asked for (they are most of the bytes).
    public var includePixels: Bool
    /// Empty means every camera.
    public var camera: String
    public init(kindMask: UInt32 = 0, includePixels: Bool = false, camera: String = "") {
        self.kindMask = kindMask; self.includePixels = includePixels; self.camera = camera
    }
    public func wants(_ kind: MessageKind) -> Bool { kindMask == 0 || kindMask & (1 << UInt32(kind.rawValue)) != 0 }
}

public enum TapDirection: UInt8, Sendable, CustomStringConvertible {
    case received = 1, sent = 2
    public var description: String { self == .received ? "in" : "out" }
}

/// Process → tap client: a copy of one message the process received or sent.
public struct TapEvent: Sendable, Equatable {
    public var monotonicNs: UInt64
    public var direction: TapDirection
    /// Who the message came from or went to, e.g. "capture:cam-a" or "recognizer:r1".
    public var peer: String
    /// True when the copied frame's pixels were left out; its pixel data is then empty.
    public var pixelsStripped: Bool
    public var message: Message
    public init(monotonicNs: UInt64, direction: TapDirection, peer: String, pixelsStripped: Bool, message: Message) {
        self.monotonicNs = monotonicNs; self.direction = direction; self.peer = peer
        self.pixelsStripped = pixelsStripped; self.message = message
    }
}

/// Motion process → broker: the camera's motion went on or off. The broker stamps its own
/// arrival on CLOCK_MONOTONIC and uses that; the camera's clock is only logged.
public struct MotionReport: Sendable, Equatable {
    public var camera: String
    public var active: Bool
    /// The camera's own time of the event, ns since 1970 UTC; 0 when it gave none. For logs.
    public var cameraWallNs: Int64
    /// What the camera said, for logs (`tns1:RuleEngine/CellMotionDetector/Motion IsMotion`).
    public var detail: String
    public init(camera: String, active: Bool, cameraWallNs: Int64 = 0, detail: String = "") {
        self.camera = camera; self.active = active; self.cameraWallNs = cameraWallNs; self.detail = detail
    }
}

/// Admin → process: "what is your state?"; the reply is JSON so it can grow without a version bump.
public struct StatusReply: Sendable, Equatable {
    public var json: String
    public init(json: String) { self.json = json }
}

public enum MessageKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 0x01, frame = 0x02, detect = 0x03, result = 0x04, credit = 0x05
    case heartbeat = 0x06, error = 0x07, tapSubscribe = 0x08, tapEvent = 0x09
    case statusRequest = 0x0A, statusReply = 0x0B, motion = 0x0C

    public var description: String {
        switch self {
        case .hello: "hello"
        case .frame: "frame"
        case .detect: "detect"
        case .result: "result"
        case .credit: "credit"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .tapSubscribe: "tap-subscribe"
        case .tapEvent: "tap-event"
        case .statusRequest: "status-request"
        case .statusReply: "status-reply"
        case .motion: "motion"
        }
    }

    public init?(name: String) {
        guard let kind = MessageKind.allCases.first(where: { $0.description == name }) else { return nil }
        self = kind
    }
}

public indirect enum Message: Sendable, Equatable {
    case hello(Hello)
    case frame(VideoFrame)
    case detect(Detect)
    case result(RecognitionResult)
    case credit(Credit)
    case heartbeat(Heartbeat)
    case error(ErrorMessage)
    case tapSubscribe(TapSubscribe)
    case tapEvent(TapEvent)
    case statusRequest
    case statusReply(StatusReply)
    case motion(MotionReport)

    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .frame: .frame
        case .detect: .detect
        case .result: .result
        case .credit: .credit
        case .heartbeat: .heartbeat
        case .error: .error
        case .tapSubscribe: .tapSubscribe
        case .tapEvent: .tapEvent
        case .statusRequest: .statusRequest
        case .statusReply: .statusReply
        case .motion: .motion
        }
    }
}
