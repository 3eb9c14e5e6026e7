import BrokerCore
import Vocabulary
import XCTest

/// The cast of SCENARIOS.md at the domain level: camera cam-a sees DC001 and DC006; obama holds
/// grants for both, biden for DC001 only. Descriptors are synthetic and far apart (members
/// 0.707 from each other, a shown face 0.3 from its member's enrolled one), so every expected
/// match is unambiguous by construction; `RealDescriptorTests` uses dlib's own values.
enum Cast {
    static let dc001: LockID = "DC001"
    static let dc006: LockID = "DC006"
    static let camA: CameraID = "cam-a"
    static let occupancyMax = TimeSpan.seconds(12)
    static let maxDecisionAge = TimeSpan.seconds(8)

    static let obamaID = MemberID(1)
    static let bidenID = MemberID(2)

    /// Scenario time zero, away from the clock's origin.
    static let origin: UInt64 = 1_000_000_000_000

    /// `confirmFrames` applies to both locks; `policies` overrides per lock.
    static func configuration(confirmFrames: Int = 1, policies: [LockID: LockPolicy] = [:],
                              zones: [LockID: NormalizedRect] = [:],
                              motion: EngineConfiguration.Motion? = nil,
                              sessionHistoryLimit: Int = 256, txnCapacity: Int = 1024) -> EngineConfiguration {
        let policy = { (lock: LockID) in policies[lock] ?? LockPolicy(confirmFrames: confirmFrames) }
        return EngineConfiguration(
            locks: [.init(id: dc001, occupancyMax: occupancyMax, policy: policy(dc001)),
                    .init(id: dc006, occupancyMax: occupancyMax, policy: policy(dc006))],
            cameras: [.init(id: camA, locks: [dc001, dc006], motion: motion, zones: zones)],
            matching: .init(threshold: 0.5, margin: 0.05),
            maxDecisionAge: maxDecisionAge, historyMargin: .seconds(2),
            sessionHistoryLimit: sessionHistoryLimit, txnCapacity: txnCapacity)
    }

    static func engine(_ configuration: EngineConfiguration = configuration(), boot: UInt32 = 0x5eed) -> DecisionEngine {
        try! DecisionEngine(configuration: configuration, bootPrefix: BootPrefix(boot))
    }

    // Synthetic descriptors: member i enrolled at 0.5·e_i; shown with 0.3 along a private axis.
    static func vector(_ parts: [(Int, Float)]) -> FaceDescriptor {
        var v = [Float](repeating: 0, count: FaceDescriptor.dimension)
        for (i, x) in parts { v[i] += x }
        return try! FaceDescriptor(v)
    }

    static let obamaEnrolled = vector([(0, 0.5)])
    static let bidenEnrolled = vector([(1, 0.5)])
    static let obamaShown = vector([(0, 0.5), (100, 0.3)])
    static let bidenShown = vector([(1, 0.5), (101, 0.3)])
    static let strangerShown = vector([(50, 0.5), (102, 0.2)])

    static let obama = Gallery.Member(id: obamaID, name: "obama", descriptors: [obamaEnrolled], grants: [dc001, dc006])
    static let biden = Gallery.Member(id: bidenID, name: "biden", descriptors: [bidenEnrolled], grants: [dc001])
    static let gallery = Gallery(members: [obama, biden])

    static let imageSize = ImageSize(width: 1000, height: 800)

    /// A face whose box centre is at the normalized position (x, y) of a cam-a frame.
    static func face(_ descriptor: FaceDescriptor, x: Double = 0.5, y: Double = 0.5,
                     landmarks: FaceLandmarks? = nil) -> DetectedFace {
        let cx = Int(x * Double(imageSize.width)), cy = Int(y * Double(imageSize.height))
        return DetectedFace(box: FaceBox(left: cx - 40, top: cy - 50, right: cx + 40, bottom: cy + 50),
                            descriptor: descriptor, landmarks: landmarks)
    }
}

/// Scenario seconds → monotonic instant.
func at(_ seconds: Double) -> MonotonicInstant {
    MonotonicInstant(nanoseconds: Cast.origin) + TimeSpan.seconds(seconds)
}

extension DecisionEngine {
    /// A frame captured at `captured` reaches the broker 20 ms later.
    mutating func capture(at captured: Double, camera: CameraID = Cast.camA) -> FrameAdmission {
        frameCaptured(camera: camera, captureTime: at(captured), imageSize: Cast.imageSize, now: at(captured + 0.02))
    }

    /// Capture at `captured`, result at `decided` (default: 300 ms later). nil when the frame
    /// was not admitted (nothing sent to a recognizer). `delivered`: every unlock decided is
    /// reported delivered at once, as the broker does when MQTT takes the command.
    mutating func show(_ faces: [DetectedFace], capturedAt captured: Double, decidedAt decided: Double? = nil,
                       gallery: Gallery = Cast.gallery, camera: CameraID = Cast.camA, delivered: Bool = true) -> [Decision]? {
        guard case let .detect(txn, _) = capture(at: captured, camera: camera) else { return nil }
        let decisions = resultArrived(txn: txn, faces: faces, now: at(decided ?? captured + 0.3), gallery: gallery)
        if delivered { deliver(decisions) }
        return decisions
    }

    /// Reports every unlock of `decisions` delivered.
    mutating func deliver(_ decisions: [Decision]) {
        for claim in decisions.flatMap(\.claims) { unlockDelivered(claim) }
    }

    mutating func touch(_ lock: LockID, _ seconds: Double, retained: Bool = false) {
        occupancy(lock: lock, occupied: true, at: at(seconds), retained: retained)
    }

    mutating func release(_ lock: LockID, _ seconds: Double) {
        occupancy(lock: lock, occupied: false, at: at(seconds))
    }
}

/// Deterministic generator for the randomized tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `../shared` resolved from the package root (this file is Tests/BrokerCoreTests/Fixtures.swift).
let sharedDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared").standardizedFileURL
