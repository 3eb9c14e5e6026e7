import BrokerCore
import Foundation
@testable import GalleryStore
import GRDB
import TestSupport
import Vocabulary
import XCTest

/// Face crops beside audit rows, the unknown faces they make, enrolling from them and pruning,
/// on real SQLite files in temporary directories.
final class FaceCropTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var clock: TestClock!
    private var store: GalleryStore!

    override func setUpWithError() throws {
        dir = TemporaryDirectory(prefix: "fg-crops")
        clock = TestClock(1_000)
        let clock = clock!
        store = try GalleryStore(path: dir.file("facegate.sqlite").path, wallClock: { clock.now })
    }

    override func tearDown() { store = nil; dir = nil }

    private func descriptor(_ axis: Int, _ value: Float = 0.5) -> FaceDescriptor {
        var v = [Float](repeating: 0, count: FaceDescriptor.dimension)
        v[axis] = value
        return try! FaceDescriptor(v)
    }

    /// The store checks a JPEG's first and last marker, not its pixels (the recognizer encoded
    /// it; the process tests decode real ones): a start-of-image, filler, an end-of-image.
    private func jpeg(_ filler: Int, count: Int = 100) -> [UInt8] {
        [0xff, 0xd8, 0xff, 0xe0] + [UInt8](repeating: UInt8(truncatingIfNeeded: filler), count: count) + [0xff, 0xd9]
    }

    private func auditRow(member: MemberRef? = nil, camera: String = "cam-a", distance: Double? = 0.7,
                          time: Int64 = 1) throws -> Int64 {
        try store.appendAudit(AuditEntry(
            timeWallNs: time, camera: camera, txn: DetectingTxn(7), faceIndex: 0, captureMonotonicNs: 5, captureWallNs: 2,
            member: member, distance: distance, snapshotJSON: nil, unlockedLocks: [], kind: member == nil ? .unknownFace : .noGrant,
            reason: "r"))
    }

    /// An unmatched face's row with a crop that keeps its descriptor.
    private func strangerRow(_ axis: Int, filler: Int? = nil, camera: String = "cam-a") throws -> Int64 {
        let id = try auditRow(camera: camera)
        try store.storeCrop(auditID: id, format: "jpeg", width: 150, height: 150, image: jpeg(filler ?? axis),
                            descriptor: descriptor(axis), model: "resnet_v1", detector: "hog upsample=1")
        return id
    }

    private func assertStoreError(_ expected: GalleryStoreError, _ body: () throws -> Void,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? GalleryStoreError, expected, file: file, line: line)
        }
    }

    // MARK: Storing

    func testCropRoundTripsBesideItsAuditRowWithOrWithoutDescriptor() throws {
        let stranger = try auditRow()
        clock.now = 2_000
        try store.storeCrop(auditID: stranger, format: "jpeg", width: 150, height: 150, image: jpeg(1),
                            descriptor: descriptor(3), model: "resnet_v1", detector: "hog upsample=1")
        let member = try store.addMember(name: "obama")
        let matched = try auditRow(member: member.ref, distance: 0.3)
        clock.now = 3_000
        try store.storeCrop(auditID: matched, format: "jpeg", width: 150, height: 120, image: jpeg(2, count: 300),
                            descriptor: nil, model: nil, detector: nil)

        XCTAssertEqual(try store.faceCrop(auditID: stranger),
                       FaceCrop(auditID: stranger, format: "jpeg", width: 150, height: 150, image: jpeg(1), createdWallNs: 2_000,
                                descriptor: descriptor(3), model: "resnet_v1", detector: "hog upsample=1"))
        XCTAssertEqual(try store.faceCrop(auditID: matched),
                       FaceCrop(auditID: matched, format: "jpeg", width: 150, height: 120, image: jpeg(2, count: 300),
                                createdWallNs: 3_000))
        XCTAssertNil(try store.faceCrop(auditID: 999))
        XCTAssertEqual(try store.cropBytes(), Int64(jpeg(1).count + 512 + jpeg(2, count: 300).count))
        // The audit row itself is unchanged by its crop.
        XCTAssertEqual(try store.auditRecord(id: stranger)?.entry.reason, "r")
    }

    func testBadCropsAreRefusedNamingWhatIsWrong() throws {
        let id = try auditRow()
        func store(format: String = "jpeg", width: Int = 150, height: Int = 150, image: [UInt8]? = nil,
                   descriptor: FaceDescriptor? = nil, model: String? = nil, detector: String? = nil) throws {
            try self.store.storeCrop(auditID: id, format: format, width: width, height: height, image: image ?? jpeg(0),
                                     descriptor: descriptor, model: model, detector: detector)
        }
        func bad(_ reason: String) -> GalleryStoreError { .invalidField(name: "face crop of audit row \(id)", reason: reason) }
        assertStoreError(bad("format \"png\" is not one of jpeg")) { try store(format: "png") }
        assertStoreError(bad("size 0x150 is outside 1...1024 on a side")) { try store(width: 0) }
        assertStoreError(bad("size 150x1025 is outside 1...1024 on a side")) { try store(height: 1025) }
        assertStoreError(bad("the image is empty")) { try store(image: []) }
        assertStoreError(bad("the image has 524295 bytes, more than 524288")) { try store(image: jpeg(0, count: 524_289)) }
        assertStoreError(bad("the image is not a complete JPEG (no FF D8 FF start or FF D9 end)")) {
            try store(image: [0x89, 0x50, 0x4e, 0x47, 0xff, 0xd9])
        }
        assertStoreError(bad("the image is not a complete JPEG (no FF D8 FF start or FF D9 end)")) {
            try store(image: Array(jpeg(0).dropLast()))
        }
        assertStoreError(bad("a descriptor needs its model and detector settings, to be enrolled from")) {
            try store(descriptor: descriptor(1), model: "resnet_v1")
        }
        assertStoreError(.invalidField(name: "model", reason: "it is empty")) {
            try store(descriptor: descriptor(1), model: "", detector: "hog")
        }
        assertStoreError(.unknownAuditRow(999)) {
            try self.store.storeCrop(auditID: 999, format: "jpeg", width: 1, height: 1, image: jpeg(0), descriptor: nil,
                                     model: nil, detector: nil)
        }
        XCTAssertNil(try self.store.faceCrop(auditID: id), "nothing refused was stored")
        try store()
        assertStoreError(.duplicateCrop(auditID: id)) { try store(image: jpeg(9)) }
        XCTAssertEqual(try self.store.faceCrop(auditID: id)?.image, jpeg(0), "the first crop stands")
        XCTAssertEqual(GalleryStoreError.duplicateCrop(auditID: id).description, "audit row \(id) already has a face crop")
    }

    func testCropsAreWrittenWithTheirRowsInOneTransaction() throws {
        clock.now = 7_000
        let stranger = try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg(1), descriptor: descriptor(1),
                                     model: "resnet_v1", detector: "hog upsample=1")
        let member = try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg(2), descriptor: nil, model: nil,
                                   detector: nil)
        let entry = AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(7), faceIndex: 0, captureMonotonicNs: 5,
                               captureWallNs: 2, member: nil, distance: 0.7, snapshotJSON: nil, unlockedLocks: [],
                               kind: .unknownFace, reason: "r")
        // Three faces: a stranger, one without a chip, a member; `crops` may be shorter than the rows.
        let ids = try store.appendAudit([entry, entry, entry], crops: [stranger, nil, member])
        XCTAssertEqual(try store.faceCrop(auditID: ids[0]),
                       FaceCrop(auditID: ids[0], format: "jpeg", width: 150, height: 150, image: jpeg(1), createdWallNs: 7_000,
                                descriptor: descriptor(1), model: "resnet_v1", detector: "hog upsample=1"))
        XCTAssertNil(try store.faceCrop(auditID: ids[1]))
        XCTAssertEqual(try store.faceCrop(auditID: ids[2])?.image, jpeg(2))
        XCTAssertEqual(try store.auditIDsWithCrop(ids), [ids[0], ids[2]])
        XCTAssertEqual(try store.auditIDsWithCrop([ids[1]]), [])
        XCTAssertEqual(try store.auditIDsWithCrop([]), [])
        let more = try store.appendAudit([entry, entry], crops: [stranger])
        XCTAssertEqual(try store.auditIDsWithCrop(ids + more), [ids[0], ids[2], more[0]])

        // A crop is checked when made, with the same words as storeCrop.
        XCTAssertThrowsError(try AuditCrop(format: "jpeg", width: 150, height: 150, image: [1, 2, 3], descriptor: nil,
                                           model: nil, detector: nil)) { error in
            XCTAssertEqual(error as? GalleryStoreError, .invalidField(
                name: "face crop", reason: "the image is not a complete JPEG (no FF D8 FF start or FF D9 end)"))
        }
        // A row whose crop cannot be written (the disk, here a trigger) is not written either.
        try store.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON face_crop BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let before = try store.lastAuditID()
        XCTAssertThrowsError(try store.appendAudit([entry], crops: [member]))
        XCTAssertEqual(try store.lastAuditID(), before)
    }

    // MARK: Unknown faces

    func testUnknownFacesAreUnmatchedFacesWhoseCropKeptADescriptorNewestFirst() throws {
        let obama = try store.addMember(name: "obama")
        let a = try strangerRow(1, camera: "cam-a")
        let matched = try auditRow(member: obama.ref, distance: 0.2)
        try store.storeCrop(auditID: matched, format: "jpeg", width: 150, height: 150, image: jpeg(50),
                            descriptor: descriptor(50), model: "m", detector: "d") // a member's: never listed
        _ = try auditRow() // no crop at all
        let noDescriptor = try auditRow()
        try store.storeCrop(auditID: noDescriptor, format: "jpeg", width: 150, height: 150, image: jpeg(51),
                            descriptor: nil, model: nil, detector: nil)
        let b = try strangerRow(2, camera: "cam-b")
        let c = try strangerRow(3)

        let all = try store.unknownFaces(limit: 10)
        XCTAssertEqual(all.map(\.auditID), [c, b, a])
        XCTAssertEqual(all[1], UnknownFace(auditID: b, camera: "cam-b", timeWallNs: 1, distance: 0.7, descriptor: descriptor(2)))
        // Keyset pages: the last id of a page is where the next one starts.
        XCTAssertEqual(try store.unknownFaces(limit: 2).map(\.auditID), [c, b])
        XCTAssertEqual(try store.unknownFaces(limit: 2, beforeAuditID: b).map(\.auditID), [a])
        XCTAssertEqual(try store.unknownFaces(limit: 2, beforeAuditID: a).map(\.auditID), [])
        assertStoreError(.invalidField(name: "limit", reason: "must be at least 1, got 0")) { _ = try store.unknownFaces(limit: 0) }
    }

    func testUnknownFacesWalkTheCropsByTheirKeyNotTheWholeAuditTable() throws {
        let plan = try store.pool.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT c.audit_id, a.camera, a.time_wall_ns, a.distance, c.descriptor
                FROM face_crop c JOIN audit a ON a.id = c.audit_id
                WHERE c.audit_id < ? AND c.descriptor IS NOT NULL AND c.enrolled_face_id IS NULL AND a.member_id IS NULL
                ORDER BY c.audit_id DESC LIMIT ?
                """, arguments: [10, 5]).map { $0["detail"] as String }
        }
        XCTAssertFalse(plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        XCTAssertFalse(plan.contains { $0.hasPrefix("SCAN a") }, "\(plan)")
    }

    // MARK: Enrolling from a crop

    func testEnrollFromCropAsANewMemberWhoThenMatchesAndLeavesTheUnknownList() throws {
        let a = try strangerRow(4)
        let b = try strangerRow(5)
        clock.now = 5_000
        let face = try store.enrollFromCrop(auditID: a, member: "lin-manuel", createMember: true)
        let member = try store.member(named: "lin-manuel")
        XCTAssertEqual(face, FaceRecord(id: face.id, member: member.ref, descriptor: descriptor(4),
                                        sourceSHA256: SHA256.hex(jpeg(4)), model: "resnet_v1", detector: "hog upsample=1",
                                        createdWallNs: 5_000))
        XCTAssertEqual(try store.listFaces(member: "lin-manuel"), [face])
        XCTAssertEqual(member.grants, [], "grants are given separately")
        XCTAssertEqual(try store.faceCrop(auditID: a)?.enrolledFaceID, face.id)
        XCTAssertEqual(try store.unknownFaces(limit: 10).map(\.auditID), [b])

        // The broker's gallery now takes the crop's face for the new member.
        let gallery = try store.loadGallery().gallery
        guard case let .matched(nearest, _) = gallery.match(descriptor(4), threshold: 0.5, margin: 0.05) else {
            return XCTFail("\(gallery.match(descriptor(4), threshold: 0.5, margin: 0.05))")
        }
        XCTAssertEqual(nearest.member.name, "lin-manuel")

        // A second crop added to the existing member.
        let second = try store.enrollFromCrop(auditID: b, member: "lin-manuel", createMember: false)
        XCTAssertEqual(try store.listFaces(member: "lin-manuel").map(\.id), [face.id, second.id])
        XCTAssertEqual(try store.unknownFaces(limit: 10), [])

        // Removing the gallery face lists its crop again.
        try store.removeFace(id: face.id)
        XCTAssertNil(try store.faceCrop(auditID: a)?.enrolledFaceID)
        XCTAssertEqual(try store.unknownFaces(limit: 10).map(\.auditID), [a])
    }

    func testEnrollFromCropRefusesWithClearErrorsAndChangesNothing() throws {
        let stranger = try strangerRow(6)
        try store.addMember(name: "obama")
        let plain = try auditRow()
        try store.storeCrop(auditID: plain, format: "jpeg", width: 150, height: 150, image: jpeg(7), descriptor: nil,
                            model: nil, detector: nil)
        let before = try store.changeToken()

        assertStoreError(.noCrop(auditID: 999)) { try store.enrollFromCrop(auditID: 999, member: "x", createMember: true) }
        assertStoreError(.cropWithoutDescriptor(auditID: plain)) {
            try store.enrollFromCrop(auditID: plain, member: "x", createMember: true)
        }
        assertStoreError(.duplicateMemberName("OBAMA")) {
            try store.enrollFromCrop(auditID: stranger, member: "OBAMA", createMember: true)
        }
        assertStoreError(.unknownMember("biden")) {
            try store.enrollFromCrop(auditID: stranger, member: "biden", createMember: false)
        }
        assertStoreError(.invalidMemberName(" x", reason: "it starts or ends with white space")) {
            try store.enrollFromCrop(auditID: stranger, member: " x", createMember: true)
        }
        XCTAssertEqual(try store.changeToken(), before, "no member or face was added by a refused enrollment")
        XCTAssertEqual(try store.listMembers().map(\.name), ["obama"])

        try store.enrollFromCrop(auditID: stranger, member: "obama", createMember: false)
        assertStoreError(.duplicateFace(member: "obama", sourceSHA256: SHA256.hex(jpeg(6)), model: "resnet_v1")) {
            try store.enrollFromCrop(auditID: stranger, member: "obama", createMember: false)
        }
        XCTAssertTrue(GalleryStoreError.cropWithoutDescriptor(auditID: 4).description.contains("cannot be enrolled"))
    }

    // MARK: Pruning

    /// Crops of `bytes` total size each (image + no descriptor), created at the given instants.
    private func crops(createdAt times: [Int64], imageBytes: Int = 1_000) throws -> [Int64] {
        try times.map { t in
            clock.now = t
            let id = try auditRow()
            try store.storeCrop(auditID: id, format: "jpeg", width: 150, height: 150, image: jpeg(Int(t), count: imageBytes - 6),
                                descriptor: nil, model: nil, detector: nil)
            return id
        }
    }

    private func remaining() throws -> [Int64] {
        try store.pool.read { try Int64.fetchAll($0, sql: "SELECT audit_id FROM face_crop ORDER BY audit_id") }
    }

    func testPruneByAgeKeepsACropExactlyMaxAgeOld() throws {
        let ids = try crops(createdAt: [100, 200, 300, 400])
        let result = try store.pruneCrops(nowWallNs: 500, maxAgeNs: 300, maxTotalBytes: 1_000_000)
        XCTAssertEqual(result, CropPruneResult(deleted: 1, bytesFreed: 1_000))
        XCTAssertEqual(try remaining(), Array(ids[1...]), "200 is exactly 300 ns old at 500: kept")
        XCTAssertEqual(try store.pruneCrops(nowWallNs: 500, maxAgeNs: 300, maxTotalBytes: 1_000_000),
                       CropPruneResult(deleted: 0, bytesFreed: 0))
        XCTAssertEqual(try store.auditTail(limit: 10).count, 4, "audit rows outlive their crops")
        XCTAssertNil(try store.faceCrop(auditID: ids[0]))
    }

    func testPruneBySizeDeletesOldestFirstUntilTheTotalFits() throws {
        // Created out of id order: age decides, not the id.
        let ids = try crops(createdAt: [300, 100, 400, 200])
        clock.now = 500
        let stranger = try strangerRow(9) // 106 bytes of image + 512 of descriptor, newest
        XCTAssertEqual(try store.cropBytes(), 4_000 + 106 + 512)
        let result = try store.pruneCrops(nowWallNs: 400, maxAgeNs: 1_000, maxTotalBytes: 2_618)
        XCTAssertEqual(result, CropPruneResult(deleted: 2, bytesFreed: 2_000))
        XCTAssertEqual(try remaining(), [ids[0], ids[2], stranger])
        XCTAssertEqual(try store.cropBytes(), 2_618, "exactly at the limit: nothing more goes")
        // One byte under: the oldest of the rest (created 300) goes.
        XCTAssertEqual(try store.pruneCrops(nowWallNs: 400, maxAgeNs: 1_000, maxTotalBytes: 2_617),
                       CropPruneResult(deleted: 1, bytesFreed: 1_000))
        XCTAssertEqual(try remaining(), [ids[2], stranger])
        XCTAssertEqual(try store.pruneCrops(nowWallNs: 400, maxAgeNs: 1_000, maxTotalBytes: 0),
                       CropPruneResult(deleted: 2, bytesFreed: 1_618))
        XCTAssertEqual(try remaining(), [])
    }

    func testPruneByAgeAndSizeTogetherUntilBothHold() throws {
        let ids = try crops(createdAt: [100, 200, 300, 400, 500, 600])
        // Age removes 100 and 200; size then removes 300 and 400 to fit 2 crops.
        let result = try store.pruneCrops(nowWallNs: 700, maxAgeNs: 450, maxTotalBytes: 2_500)
        XCTAssertEqual(result, CropPruneResult(deleted: 4, bytesFreed: 4_000))
        XCTAssertEqual(try remaining(), Array(ids[4...]))
    }

    func testPruneOfManyCropsAndItsArguments() throws {
        clock.now = 10
        let ids = try (0..<1_200).map { _ in try auditRow() }
        try store.pool.write { db in
            for (n, id) in ids.enumerated() {
                try db.execute(sql: """
                    INSERT INTO face_crop (audit_id, format, width, height, image, created_wall_ns) VALUES (?, 'jpeg', 150, 150, ?, ?)
                    """, arguments: [id, Data(jpeg(n, count: 94)), n])
            }
        }
        XCTAssertEqual(try store.pruneCrops(nowWallNs: 1_200, maxAgeNs: 10_000, maxTotalBytes: 100 * 100),
                       CropPruneResult(deleted: 1_100, bytesFreed: 110_000))
        XCTAssertEqual(try remaining(), Array(ids[1_100...]))
        assertStoreError(.invalidField(name: "crop maximum age", reason: "must be positive, got 0 ns")) {
            _ = try store.pruneCrops(nowWallNs: 1, maxAgeNs: 0, maxTotalBytes: 1)
        }
        assertStoreError(.invalidField(name: "crop maximum total size", reason: "must not be negative, got -1")) {
            _ = try store.pruneCrops(nowWallNs: 1, maxAgeNs: 1, maxTotalBytes: -1)
        }
        // An age reaching before the epoch's range deletes nothing by age.
        XCTAssertEqual(try store.pruneCrops(nowWallNs: Int64.min + 5, maxAgeNs: 10, maxTotalBytes: 1_000_000).deleted, 0)
    }
}

/// A wall clock the test moves. Reason for @unchecked: its value is guarded by its NSLock.
private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ value: Int64) { self.value = value }
    var now: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
