@testable import BrokerCore
import FacegateConfig
import GalleryStore
@testable import LockBroker
import TestSupport
import Vocabulary
import WireProtocol
import XCTest

/// Which face decisions keep a crop and a descriptor, and the rhythm and effect of the
/// broker's crop pruning, with the clocks injected and the store on a real SQLite file.
final class FaceCropRowsTests: XCTestCase {
    private let jpeg: [UInt8] = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]

    private func descriptor(_ axis: Int) -> FaceDescriptor {
        var v = [Float](repeating: 0, count: FaceDescriptor.dimension)
        v[axis] = 0.5
        return try! FaceDescriptor(v)
    }

    private func result(chips: [FaceChip?]) -> RecognitionResult {
        RecognitionResult(txn: 7, camera: "cam-a", sequence: 1, captureMonotonicNs: 5, detectMicros: 1, descriptorMicros: 1,
                          faces: chips.enumerated().map { i, chip in
                              DetectedFace(box: FaceBox(left: 0, top: 0, right: 10, bottom: 10), descriptor: descriptor(i), chip: chip)
                          })
    }

    private func decision(_ kind: DecisionKind, face: Int?, member: String? = nil) -> Decision {
        Decision(kind: kind, txn: DetectingTxn(7), camera: "cam-a", snapshot: nil, faceIndex: face, box: nil,
                 member: member.map { MemberRef(id: MemberID(1), name: $0) }, distance: 0.3, unlockedLocks: [], verdicts: [],
                 reason: "why")
    }

    private func crop(_ d: Decision, _ r: RecognitionResult) throws -> AuditCrop? {
        try AuditRows.crop(d, result: r, model: "resnet", detector: "hog upsample=1 landmarks=5")
    }

    // MARK: Which crop

    func testAStrangersCropKeepsItsDescriptorAMembersDoesNot() throws {
        let chip = FaceChip(format: .jpeg, width: 150, height: 150, bytes: jpeg)
        let r = result(chips: [chip, chip])
        let stranger = try XCTUnwrap(try crop(decision(.unknownFace, face: 1), r))
        XCTAssertEqual(stranger, try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg, descriptor: descriptor(1),
                                               model: "resnet", detector: "hog upsample=1 landmarks=5"))
        XCTAssertEqual(try crop(decision(.ambiguous, face: 0), r)?.descriptor, descriptor(0))
        for kind in [DecisionKind.unlock, .noGrant, .awaitingConfirmation, .stale] {
            let kept = try XCTUnwrap(try crop(decision(kind, face: 0, member: "obama"), r), "\(kind)")
            XCTAssertEqual(kept.image, jpeg)
            XCTAssertNil(kept.descriptor, "\(kind): a member's face is in the gallery already")
            XCTAssertNil(kept.model)
        }
        // No camera frame vouches for these faces: a picture, nothing to enroll.
        for kind in [DecisionKind.implausible, .unknownTxn] {
            let kept = try XCTUnwrap(try crop(decision(kind, face: 0), r), "\(kind)")
            XCTAssertNil(kept.descriptor, "\(kind)")
        }
    }

    func testNoCropWithoutAFaceOrAChipAndABadChipIsRefused() throws {
        XCTAssertNil(try crop(decision(.recognizerError, face: nil), result(chips: [])))
        XCTAssertNil(try crop(decision(.unknownFace, face: 0), result(chips: [nil])))
        XCTAssertNil(try crop(decision(.unknownFace, face: 3), result(chips: [nil])), "a face index beyond the result")
        let cut = FaceChip(format: .jpeg, width: 150, height: 150, bytes: Array(jpeg.dropLast()))
        XCTAssertThrowsError(try crop(decision(.unknownFace, face: 0), result(chips: [cut]))) { error in
            XCTAssertEqual(error as? GalleryStoreError, .invalidField(
                name: "face crop", reason: "the image is not a complete JPEG (no FF D8 FF start or FF D9 end)"))
        }
    }

    // MARK: Pruning

    func testPrunesAreDueAtTheFirstRoundThenEveryInterval() {
        var schedule = CropPruneSchedule(settings: CropSettings(pruneInterval: 600))
        let t0 = MonotonicInstant.seconds(1_000)
        XCTAssertTrue(schedule.due(now: t0), "at start")
        XCTAssertFalse(schedule.due(now: t0 + .seconds(0.25)))
        XCTAssertFalse(schedule.due(now: t0 + .seconds(599.99)))
        XCTAssertTrue(schedule.due(now: t0 + .seconds(600)))
        // A late round (a slow disk) counts the interval from when it ran.
        XCTAssertFalse(schedule.due(now: t0 + .seconds(1_199)))
        XCTAssertTrue(schedule.due(now: t0 + .seconds(1_300)))
        XCTAssertFalse(schedule.due(now: t0 + .seconds(1_899)))
        XCTAssertTrue(schedule.due(now: t0 + .seconds(1_900)))

        var off = CropPruneSchedule(settings: CropSettings(enabled: false))
        XCTAssertFalse(off.due(now: t0))
        XCTAssertFalse(off.due(now: t0 + .seconds(1e6)))
    }

    /// The housekeeping rounds of a broker, every 0.25 s for 3 s of both clocks, with a prune
    /// interval of 1 s, a maximum age of 2 s and room for three crops: what is deleted, when.
    func testHousekeepingRoundsPruneByAgeAndSizeOnTheirSchedule() throws {
        let dir = TemporaryDirectory(prefix: "fgcrop")
        let wall = WallClockBox(0)
        let store = try GalleryStore(path: dir.file("db.sqlite").path, wallClock: { wall.now })
        let crop = try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg, descriptor: nil, model: nil, detector: nil)
        let entry = AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(1), faceIndex: 0, captureMonotonicNs: 1,
                               captureWallNs: 1, member: nil, distance: nil, snapshotJSON: nil, unlockedLocks: [],
                               kind: .unknownFace, reason: "r")
        let settings = CropSettings(maxAgeDays: 2 / 86_400, maxTotalMB: Double(3 * jpeg.count) / 1e6, pruneInterval: 1)
        var schedule = CropPruneSchedule(settings: settings)
        let second: Int64 = 1_000_000_000
        let wallStart: Int64 = 1_800_000_000 * second
        let monoStart = MonotonicInstant.seconds(50)

        var ids: [Int64] = []
        var pruned: [(round: Int, result: CropPruneResult)] = []
        for round in 0...12 {
            let elapsed = Int64(round) * second / 4
            wall.now = wallStart + elapsed
            // Two faces a second, from 0.5 s on: 0.5, 1.0, 1.5, ...
            if round > 0 && round % 2 == 0 { ids += try store.appendAudit([entry], crops: [crop]) }
            if schedule.due(now: monoStart + .seconds(Double(round) * 0.25)) {
                pruned.append((round, try schedule.prune(store, nowWallNs: wall.now)))
            }
        }
        let remaining = try store.auditIDsWithCrop(ids)
        XCTAssertEqual(pruned.map(\.round), [0, 4, 8, 12], "at the first round, then once a second")
        // At 1 s: two crops (0.5, 1.0), within both limits. At 2 s: four, one over the size
        // limit: the oldest (0.5) goes. At 3 s: 1.0 is exactly 2 s old (kept by age); five
        // crops are two over the size: 1.0 and 1.5 go, the newest three stay.
        XCTAssertEqual(pruned.map(\.result.deleted), [0, 0, 1, 2])
        XCTAssertEqual(pruned.map(\.result.bytesFreed), [0, 0, Int64(jpeg.count), Int64(2 * jpeg.count)])
        XCTAssertEqual(remaining, Set(ids.suffix(3)))
        XCTAssertEqual(try store.auditTail(limit: 100).count, ids.count, "audit rows outlive their crops")

        // Past the age limit with no new faces, the next prune empties the table.
        wall.now = wallStart + 5 * second + 1
        XCTAssertTrue(schedule.due(now: monoStart + .seconds(5)))
        XCTAssertEqual(try schedule.prune(store, nowWallNs: wall.now).deleted, 3)
        XCTAssertEqual(try store.cropBytes(), 0)
    }
}

/// A wall clock the test moves. Reason for @unchecked: its value is guarded by its NSLock.
private final class WallClockBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ value: Int64) { self.value = value }
    var now: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
