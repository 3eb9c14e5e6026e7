import BrokerCore
@testable import DemoRunner
import GalleryStore
import Vocabulary
import XCTest

/// The photo chapter's verdict and its reading of the audit. The liveness reasons are the ones
/// BrokerCore's `LockPolicy` writes for landmark tracks of a flat face, so a change of their
/// wording that the demo no longer explains fails here.
final class PhotoAttemptTests: XCTestCase {
    /// A flat frontal face (dlib's 68-point order), about 130 px between the outer eye corners.
    private static let flatFace: [SIMD2<Double>] = {
        var p = [SIMD2<Double>](repeating: .zero, count: 68)
        for i in 0...16 {
            let theta = Double.pi * Double(i) / 16
            p[i] = SIMD2(-70 * cos(theta), 5 + 110 * sin(theta))
        }
        for (k, x) in [-60.0, -50, -40, -30, -20].enumerated() { p[17 + k] = SIMD2(x, -20) }
        for (k, x) in [20.0, 30, 40, 50, 60].enumerated() { p[22 + k] = SIMD2(x, -20) }
        for k in 0..<4 { p[27 + k] = SIMD2(0, -2 + 14 * Double(k)) }
        for (k, x) in [-17.0, -9, 0, 9, 17].enumerated() { p[31 + k] = SIMD2(x, 52) }
        let eye: [SIMD2<Double>] = [SIMD2(-14, 0), SIMD2(-5, -5), SIMD2(5, -5), SIMD2(14, 0), SIMD2(5, 4), SIMD2(-5, 4)]
        for k in 0..<6 { p[36 + k] = eye[k] + SIMD2(-32, 0); p[42 + k] = eye[k] + SIMD2(32, 0) }
        for k in 0..<12 {
            let theta = 2 * Double.pi * Double(k) / 12
            p[48 + k] = SIMD2(-25 * cos(theta), 76 - 9 * sin(theta))
        }
        for k in 0..<8 {
            let theta = 2 * Double.pi * Double(k) / 8
            p[60 + k] = SIMD2(-20 * cos(theta), 75 - 3 * sin(theta))
        }
        return p.map { $0 * 1.4 }
    }()

    /// The flat face as a photo seen through a homography with perspective terms `g`, `h`
    /// (a photo tilted away on one side), placed in a 640x480 frame.
    private static func photo(tiltX g: Double = 0, tiltY h: Double = 0) throws -> FaceLandmarks {
        try FaceLandmarks(flatFace.map { q in
            let w = 1 + g * q.x + h * q.y
            return LandmarkPoint(x: Float(320 + q.x / w), y: Float(240 + q.y / w))
        })
    }

    /// What the broker writes for DC001 when DC001's `planar` policy denies these frames
    /// (captured 0.5 s apart) after its 2 s window.
    private static func reason(_ frames: [FaceLandmarks], policy: LockPolicy = LockPolicy(liveness: .planar)) -> String {
        let track = FaceTrack(camera: CameraID("cam-a"), session: SessionID(rawValue: 1), member: MemberID(1),
                              frames: frames.enumerated().map { i, l in
                                  TrackFrame(txn: DetectingTxn(rawValue: UInt64(i + 1)),
                                             captureTime: .seconds(1 + 0.5 * Double(i)),
                                             box: FaceBox(left: 200, top: 140, right: 440, bottom: 400), landmarks: l,
                                             distance: 0.336)
                              })
        let evaluation = policy.evaluate(track, session: MonotonicInstant.seconds(0)..<MonotonicInstant.seconds(60),
                                         now: .seconds(30))
        XCTAssertEqual(evaluation.verdict, .deny(.livenessFailed), evaluation.reason)
        // DecisionEngine's wording around the policy's reason (DecisionEngine.describe).
        return "obama matched at 0.336; DC001: liveness_failed: \(evaluation.reason)"
    }

    func testAStillPhotoIsExplainedByTheMotionItLacks() throws {
        let still = try Self.photo()
        let reason = Self.reason(Array(repeating: still, count: 5))
        XCTAssertEqual(PhotoAttempt.explain(reason: reason), [
            "too little motion to judge: over 5 frames the face's landmarks changed shape by 0.000 eye distances;",
            "planar needs 0.040 before it can tell a head from a flat picture",
        ], reason)
    }

    func testATiltedPhotoIsExplainedByItsPlanarResidual() throws {
        let frames = try [Self.photo(), Self.photo(tiltX: 0.004), Self.photo(tiltX: -0.004), Self.photo(tiltY: 0.004)]
        let reason = Self.reason(frames)
        let lines = PhotoAttempt.explain(reason: reason)
        XCTAssertEqual(lines.count, 2, reason)
        XCTAssertTrue(lines[0].hasPrefix("one flat picture explains the face: over 4 frames its landmarks stray 0.000 eye distances (0.0 px)"),
                      "\(lines) from \(reason)")
        XCTAssertEqual(lines.last, "from a plane seen from another angle; a real head shows at least 0.035", reason)
    }

    func testTooFewFramesAndOtherChecksAreToldAsTheBrokerWroteThem() throws {
        let two = Self.reason(try [Self.photo(), Self.photo()])
        XCTAssertEqual(PhotoAttempt.explain(reason: two),
                       ["too few frames to judge: 2 frames with usable landmarks within the window, planar needs 3"], two)
        let blink = Self.reason(Array(repeating: try Self.photo(), count: 4), policy: LockPolicy(liveness: .blink))
        let lines = PhotoAttempt.explain(reason: blink)
        XCTAssertEqual(lines.count, 1, blink)
        XCTAssertTrue(lines[0].hasPrefix("no blink: eye aspect ratio"), blink)
        XCTAssertEqual(PhotoAttempt.explain(reason: "obama matched at 0.336; DC006: no grant"), ["obama matched at 0.336; DC006: no grant"])
    }

    // MARK: The verdict

    private func row(_ kind: DecisionKind, member: String? = "obama", unlocked: [String] = [], reason: String) -> AuditEntry {
        AuditEntry(timeWallNs: 0, camera: "cam-a", txn: DetectingTxn(rawValue: 7), faceIndex: 0, captureMonotonicNs: 1,
                   captureWallNs: 0, member: member.map { MemberRef(id: MemberID(1), name: $0) }, distance: 0.336,
                   snapshotJSON: nil, unlockedLocks: unlocked.map { LockID($0) }, kind: kind, reason: reason)
    }

    private let refused = "obama matched at 0.336; DC001: liveness_failed: planar: too little motion to judge: 0.000 eye "
        + "distances over 5 frames < 0.040; confirmed by 5 frames within 2.000s"
    private let unlockCommand = LockRecord(line: #"{"event":"command","lock":"DC001","monotonic_ns":7000,"payload":"{\"state\":\"UNLOCK\"}","state":"UNLOCK","topic":"zigbee2mqtt/DC001/set"}"#)!

    func testARefusedPhotoAndNoCommandIsTheExpectedOutcome() {
        let rows = [row(.awaitingConfirmation, reason: "obama matched at 0.336; DC001: waiting: 1 of 3 frames with landmarks"),
                    row(.livenessFailed, reason: refused)]
        XCTAssertEqual(PhotoAttempt.problems(member: "obama", liveness: "planar", rows: rows, commands: []), [])
        XCTAssertEqual(PhotoAttempt.refusal(member: "obama", in: rows)?.kind, .livenessFailed)
    }

    func testAPhotoThatOpenedDC001IsAFailure() {
        let rows = [row(.unlock, unlocked: ["DC001"], reason: "obama matched at 0.336; unlocked DC001")]
        XCTAssertEqual(PhotoAttempt.problems(member: "obama", liveness: "off", rows: rows, commands: [unlockCommand]), [
            #"the photo opened DC001 (liveness = "off"): it received {"state":"UNLOCK"}"#,
            "the audit holds 1 unlock row of DC001 for the photo: obama matched at 0.336; unlocked DC001",
        ])
        // The lock's word is enough: a command with a refusal in the audit is still a failure.
        XCTAssertEqual(PhotoAttempt.problems(member: "obama", liveness: "planar", rows: [row(.livenessFailed, reason: refused)],
                                             commands: [unlockCommand]).count, 1)
    }

    func testOnlyTheMembersRefusalAtDC001Counts() {
        XCTAssertEqual(PhotoAttempt.problems(member: "obama", liveness: "planar", rows: [], commands: []),
                       ["no liveness_failed row for obama at DC001 within 12 story seconds (obama's face was never judged)"])
        let elsewhere = refused.replacingOccurrences(of: "DC001:", with: "DC006:")
        let wrong = [row(.livenessFailed, member: "lin", reason: refused), row(.livenessFailed, reason: elsewhere)]
        XCTAssertNil(PhotoAttempt.refusal(member: "obama", in: wrong))
        XCTAssertEqual(PhotoAttempt.problems(member: "obama", liveness: "planar", rows: wrong, commands: []),
                       ["no liveness_failed row for obama at DC001 within 12 story seconds"])
    }
}
