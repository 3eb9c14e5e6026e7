import BrokerCore
import Foundation
@testable import GalleryStore
import GRDB
import TestSupport
import Vocabulary
import XCTest

/// The store on real SQLite files in temporary directories.
final class GalleryStoreTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var dbPath: String { dir.file("facegate.sqlite").path }

    override func setUp() { dir = TemporaryDirectory(prefix: "fg-gallery") }
    override func tearDown() { dir = nil }

    private func open(clock: Int64? = nil) throws -> GalleryStore {
        if let clock { return try GalleryStore(path: dbPath, wallClock: { clock }) }
        return try GalleryStore(path: dbPath)
    }

    private func descriptor(_ axis: Int, _ value: Float = 0.5) -> FaceDescriptor {
        var v = [Float](repeating: 0, count: FaceDescriptor.dimension)
        v[axis] = value
        return try! FaceDescriptor(v)
    }

    private let hashA = String(repeating: "a", count: 64)
    private let hashB = String(repeating: "b", count: 64)

    private func assertStoreError(_ expected: GalleryStoreError, _ body: () throws -> Void,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? GalleryStoreError, expected, file: file, line: line)
        }
    }

    // MARK: Opening

    func testOpenMigratesWithWALAndFullSync() throws {
        let store = try open()
        XCTAssertEqual(try store.journalMode(), "wal")
        XCTAssertEqual(try store.writerSynchronousLevel(), 2, "FULL: an audit row survives power loss once written")
        XCTAssertEqual(try store.appliedMigrations(), ["v1 members, faces, grants, audit", "v1 gallery generation",
                                                        "v2 unlock delivery", "v3 face crops", "v4 console users"])
        // Reopening applies nothing twice and keeps data.
        try store.addMember(name: "obama")
        let again = try open()
        XCTAssertEqual(try again.listMembers().map(\.name), ["obama"])
    }

    func testOpeningInAMissingDirectoryNamesThePath() {
        let path = dir.file("no/such/dir/db.sqlite").path
        XCTAssertThrowsError(try GalleryStore(path: path)) { error in
            guard case let .cannotOpen(p, _)? = error as? GalleryStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue("\(error)".hasPrefix("cannot open gallery database \(path): "), "\(error)")
        }
    }

    func testDatabaseFromANewerVersionIsRefused() throws {
        let store = try open()
        try store.pool.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')") }
        assertStoreError(.schemaTooNew(path: dbPath)) { _ = try open() }
    }

    func testManyConnectionsOpeningAFreshFileAtOnceAllSucceed() throws {
        for round in 0..<5 {
            let path = dir.file("fresh\(round).sqlite").path
            let errors = ErrorBox()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try GalleryStore(path: path).listMembers() } catch { errors.append(error) }
            }
            XCTAssertEqual(errors.all.map { "\($0)" }, [], "round \(round)")
            XCTAssertEqual(try GalleryStore(path: path).appliedMigrations().count, 5)
        }
    }

    // MARK: Members

    func testMembersAddListRemove() throws {
        let store = try open(clock: 1_700_000_000_000_000_000)
        let obama = try store.addMember(name: "obama")
        XCTAssertEqual(obama.createdWallNs, 1_700_000_000_000_000_000)
        try store.addMember(name: "biden")
        try store.addMember(name: "Alex Lacamoire")
        XCTAssertEqual(try store.listMembers().map(\.name), ["Alex Lacamoire", "biden", "obama"])
        try store.addFace(member: "obama", descriptor: descriptor(0), sourceSHA256: hashA, model: "resnet", detector: "hog")
        try store.addGrant(member: "obama", lock: "DC006")
        try store.addGrant(member: "obama", lock: "DC001")
        let listed = try XCTUnwrap(try store.listMembers().first { $0.name == "obama" })
        XCTAssertEqual(listed.faceCount, 1)
        XCTAssertEqual(listed.grants, ["DC001", "DC006"])
        XCTAssertEqual(try store.member(named: "OBAMA"), listed, "names are found ignoring case")

        let removed = try store.removeMember(name: "obama")
        XCTAssertEqual(removed, listed)
        XCTAssertEqual(try store.listMembers().map(\.name), ["Alex Lacamoire", "biden"])
        XCTAssertEqual(try store.listFaces(), [], "faces go with the member")
        XCTAssertEqual(try store.listGrants(), [], "grants go with the member")
    }

    func testDuplicateNameIsATypedErrorIgnoringCase() throws {
        let store = try open()
        try store.addMember(name: "obama")
        assertStoreError(.duplicateMemberName("Obama")) { try store.addMember(name: "Obama") }
        XCTAssertEqual("\(GalleryStoreError.duplicateMemberName("Obama"))", #"a member named "Obama" already exists"#)
        XCTAssertEqual(try store.listMembers().count, 1)
    }

    func testInvalidMemberNamesSayWhy() throws {
        let store = try open()
        assertStoreError(.invalidMemberName("", reason: "it is empty")) { try store.addMember(name: "") }
        assertStoreError(.invalidMemberName(" obama", reason: "it starts or ends with white space")) {
            try store.addMember(name: " obama")
        }
        assertStoreError(.invalidMemberName("a\u{7}b", reason: "it contains control characters")) {
            try store.addMember(name: "a\u{7}b")
        }
        let long = String(repeating: "x", count: 65)
        assertStoreError(.invalidMemberName(long, reason: "longer than 64 characters")) { try store.addMember(name: long) }
        XCTAssertEqual("\(GalleryStoreError.invalidMemberName("a\u{7}b", reason: "it contains control characters"))",
                       #"invalid member name "a\u{7}b": it contains control characters"#)
    }

    func testUnknownMemberIsATypedErrorEverywhere() throws {
        let store = try open()
        let unknown = GalleryStoreError.unknownMember("nobody")
        assertStoreError(unknown) { try store.removeMember(name: "nobody") }
        assertStoreError(unknown) { _ = try store.member(named: "nobody") }
        assertStoreError(unknown) {
            try store.addFace(member: "nobody", descriptor: self.descriptor(0), sourceSHA256: self.hashA, model: "m", detector: "d")
        }
        assertStoreError(unknown) { _ = try store.listFaces(member: "nobody") }
        assertStoreError(unknown) { try store.addGrant(member: "nobody", lock: "DC001") }
        assertStoreError(unknown) { try store.removeGrant(member: "nobody", lock: "DC001") }
        assertStoreError(unknown) { _ = try store.listGrants(member: "nobody") }
        XCTAssertEqual("\(unknown)", #"no member named "nobody""#)
    }

    // MARK: Faces

    func testFacesRoundTripExactlyAndRejectDuplicates() throws {
        let store = try open(clock: 42)
        try store.addMember(name: "obama")
        // Values that do not survive a decimal round trip: the blob must keep every bit.
        let values = (0..<FaceDescriptor.dimension).map { Float($0) * 0.001_234_567 - 0.07 + .ulpOfOne }
        let d = try FaceDescriptor(values)
        let added = try store.addFace(member: "obama", descriptor: d, sourceSHA256: hashA,
                                      model: "dlib_face_recognition_resnet_model_v1", detector: "hog upsample=1")
        XCTAssertEqual(try store.listFaces(member: "obama"), [added])
        XCTAssertEqual(try store.listFaces()[0].descriptor.values, values)
        XCTAssertEqual(added.createdWallNs, 42)

        assertStoreError(.duplicateFace(member: "obama", sourceSHA256: hashA, model: "dlib_face_recognition_resnet_model_v1")) {
            try store.addFace(member: "obama", descriptor: d, sourceSHA256: self.hashA,
                              model: "dlib_face_recognition_resnet_model_v1", detector: "hog upsample=1")
        }
        // Same image with another model is a different descriptor.
        try store.addFace(member: "obama", descriptor: d, sourceSHA256: hashA, model: "other", detector: "hog")
        assertStoreError(.invalidSourceHash("ABC")) {
            try store.addFace(member: "obama", descriptor: d, sourceSHA256: "ABC", model: "m", detector: "d")
        }
        assertStoreError(.invalidField(name: "model", reason: "it is empty")) {
            try store.addFace(member: "obama", descriptor: d, sourceSHA256: self.hashB, model: "", detector: "d")
        }

        XCTAssertEqual(try store.removeFace(id: added.id), added)
        assertStoreError(.unknownFace(added.id)) { try store.removeFace(id: added.id) }
        XCTAssertEqual(try store.listFaces().count, 1)
    }

    func testCorruptDescriptorIsReportedNotMatched() throws {
        let store = try open()
        try store.addMember(name: "obama")
        let face = try store.addFace(member: "obama", descriptor: descriptor(0), sourceSHA256: hashA, model: "m", detector: "d")
        var nan = Data(count: DescriptorBlob.byteCount)
        nan.replaceSubrange(0..<4, with: [0x00, 0x00, 0xC0, 0x7F]) // quiet NaN, little endian
        try store.pool.write { try $0.execute(sql: "UPDATE face_descriptor SET descriptor = ? WHERE id = ?", arguments: [nan, face.id]) }
        assertStoreError(.corruptRow(table: "face_descriptor", id: face.id, reason: "face descriptor value 0 is not a finite number")) {
            _ = try store.loadGallery()
        }
    }

    // MARK: Grants

    func testGrantsAddRemoveListAndErrors() throws {
        let store = try open()
        try store.addMember(name: "obama")
        try store.addMember(name: "biden")
        try store.addGrant(member: "obama", lock: "DC006")
        try store.addGrant(member: "biden", lock: "DC001")
        try store.addGrant(member: "obama", lock: "DC001")
        XCTAssertEqual(try store.listGrants().map { "\($0.member.name):\($0.lock)" }, ["biden:DC001", "obama:DC001", "obama:DC006"])
        XCTAssertEqual(try store.listGrants(member: "obama").map(\.lock), ["DC001", "DC006"])
        assertStoreError(.duplicateGrant(member: "obama", lock: "DC006")) { try store.addGrant(member: "obama", lock: "DC006") }
        try store.removeGrant(member: "obama", lock: "DC006")
        assertStoreError(.unknownGrant(member: "obama", lock: "DC006")) { try store.removeGrant(member: "obama", lock: "DC006") }
        assertStoreError(.invalidLockID("zigbee2mqtt/DC001", reason: "it contains '/', '#' or '+'")) {
            try store.addGrant(member: "obama", lock: "zigbee2mqtt/DC001")
        }
        assertStoreError(.invalidLockID("DC 1", reason: "it contains white space or control characters")) {
            try store.addGrant(member: "obama", lock: "DC 1")
        }
        XCTAssertEqual("\(GalleryStoreError.duplicateGrant(member: "obama", lock: "DC006"))", "obama already holds a grant for DC006")
    }

    // MARK: Gallery for the broker

    func testLoadedGalleryMatchesAndAuthorizesLikeTheEngineExpects() throws {
        let store = try open()
        let obama = try store.addMember(name: "obama")
        try store.addMember(name: "biden")
        try store.addMember(name: "no-faces-yet")
        try store.addFace(member: "obama", descriptor: descriptor(0), sourceSHA256: hashA, model: "m", detector: "d")
        try store.addFace(member: "obama", descriptor: descriptor(2), sourceSHA256: hashB, model: "m", detector: "d")
        try store.addFace(member: "biden", descriptor: descriptor(1), sourceSHA256: hashA, model: "m", detector: "d")
        try store.addGrant(member: "obama", lock: "DC001")
        try store.addGrant(member: "obama", lock: "DC006")
        try store.addGrant(member: "biden", lock: "DC001")

        let loaded = try store.loadGallery()
        XCTAssertEqual(loaded.token, try store.changeToken())
        let g = loaded.gallery
        XCTAssertEqual(g.members.map(\.name), ["obama", "biden", "no-faces-yet"])
        XCTAssertEqual(g.descriptorCount, 3)
        XCTAssertEqual(g.member(obama.id)?.grants, ["DC001", "DC006"])
        XCTAssertEqual(g.member(obama.id)?.descriptors.count, 2)
        // Near obama's second photo: matched to obama through the loaded descriptors.
        var probe = [Float](repeating: 0, count: FaceDescriptor.dimension)
        probe[2] = 0.5; probe[9] = 0.2
        guard case let .matched(best, _) = g.match(try FaceDescriptor(probe), threshold: 0.5, margin: 0.05) else {
            return XCTFail("no match")
        }
        XCTAssertEqual(best.member, obama.ref)
    }

    func testChangeTokenMovesOnGalleryChangesOnly() throws {
        let store = try open()
        var token = try store.changeToken()
        func changed(_ what: String, _ body: () throws -> Void) throws {
            try body()
            let now = try store.changeToken()
            XCTAssertNotEqual(now, token, "\(what) must move the token")
            token = now
        }
        try changed("adding a member") { try store.addMember(name: "obama") }
        try changed("adding a face") {
            try store.addFace(member: "obama", descriptor: descriptor(0), sourceSHA256: hashA, model: "m", detector: "d")
        }
        try changed("adding a grant") { try store.addGrant(member: "obama", lock: "DC001") }
        try changed("removing a grant") { try store.removeGrant(member: "obama", lock: "DC001") }
        try changed("removing a face") { try store.removeFace(id: store.listFaces()[0].id) }
        try changed("removing a member") { try store.removeMember(name: "obama") }

        try store.appendAudit(auditEntry(reason: "x"))
        XCTAssertEqual(try store.changeToken(), token, "audit rows are not gallery changes")
        assertStoreError(.unknownMember("ghost")) { try store.addGrant(member: "ghost", lock: "DC001") }
        XCTAssertEqual(try store.changeToken(), token, "a refused change is no change")
    }

    func testASecondStoreOnTheSameFileSeesTheFirstsWrites() throws {
        // What the CLI (one process) and the broker (another) do.
        let cli = try open()
        let broker = try open()
        let before = try broker.changeToken()
        try cli.addMember(name: "obama")
        try cli.addFace(member: "obama", descriptor: descriptor(0), sourceSHA256: hashA, model: "m", detector: "d")
        try cli.addGrant(member: "obama", lock: "DC006")
        XCTAssertNotEqual(try broker.changeToken(), before)
        let gallery = try broker.loadGallery().gallery
        XCTAssertEqual(gallery.members.map(\.name), ["obama"])
        XCTAssertEqual(gallery.members.first?.grants, ["DC006"])
        let id = try broker.appendAudit(auditEntry(reason: "seen by the CLI"))
        XCTAssertEqual(try cli.auditTail(limit: 10).map(\.id), [id])
        XCTAssertEqual(try cli.auditTail(limit: 10).first?.entry.reason, "seen by the CLI")
    }

    func testConcurrentWritersFromTwoStoresLoseNothing() throws {
        let a = try open(), b = try open()
        try a.addMember(name: "obama")
        let errors = ErrorBox()
        let entries = (0..<2).map { i in (0..<100).map { n in auditEntry(reason: "\(i)-\(n)") } }
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let store = i == 0 ? a : b
            for n in 0..<100 {
                do {
                    try store.appendAudit(entries[i][n])
                    if i == 1 && n % 10 == 0 { try store.addGrant(member: "obama", lock: "L\(n)") }
                } catch {
                    errors.append(error)
                }
            }
        }
        XCTAssertEqual(errors.all.map { "\($0)" }, [])
        let rows = try a.auditTail(limit: 1000)
        XCTAssertEqual(rows.count, 200)
        XCTAssertEqual(Set(rows.map(\.entry.reason)).count, 200)
        XCTAssertEqual(try a.listGrants().count, 10)
    }

    // MARK: Audit

    private func auditEntry(reason: String, kind: DecisionKind = .unknownFace) -> AuditEntry {
        AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(7), faceIndex: 0, captureMonotonicNs: 5,
                   captureWallNs: 2, member: nil, distance: 0.7, snapshotJSON: nil, unlockedLocks: [], kind: kind, reason: reason)
    }

    func testAuditRowOfAnEngineDecisionRoundTrips() throws {
        let config = EngineConfiguration(
            locks: [.init(id: "DC001", occupancyMax: .seconds(12)), .init(id: "DC006", occupancyMax: .seconds(12))],
            cameras: [.init(id: "cam-a", locks: ["DC001", "DC006"])], maxDecisionAge: .seconds(8))
        var engine = try DecisionEngine(configuration: config, bootPrefix: BootPrefix(0xfeed_f00d))
        let obama = Gallery.Member(id: MemberID(1), name: "obama", descriptors: [descriptor(0)], grants: ["DC006"])
        let start = MonotonicInstant(nanoseconds: 5_000_000_000_000)
        engine.occupancy(lock: "DC006", occupied: true, at: start)
        guard case let .detect(txn, _) = engine.frameCaptured(camera: "cam-a", captureTime: start + .seconds(2),
                                                              imageSize: ImageSize(width: 640, height: 480),
                                                              now: start + .seconds(2.01)) else { return XCTFail() }
        var probe = descriptor(0).values
        probe[3] = 0.3
        let faces = [DetectedFace(box: FaceBox(left: 1, top: 2, right: 3, bottom: 4), descriptor: try FaceDescriptor(probe)),
                     DetectedFace(box: FaceBox(left: 1, top: 2, right: 3, bottom: 4), descriptor: descriptor(40))]
        let decisions = engine.resultArrived(txn: txn, faces: faces, now: start + .seconds(2.5),
                                             gallery: Gallery(members: [obama]))
        XCTAssertEqual(decisions.map(\.kind), [.unlock, .unknownFace])

        let store = try open()
        let entries = decisions.map { AuditEntry(decision: $0, timeWallNs: 1_800_000_000_000_000_000, captureWallNs: 1_799_999_999_500_000_000) }
        let ids = try store.appendAudit(entries)
        let rows = try store.auditTail(limit: 10)
        XCTAssertEqual(rows.map(\.id), ids)
        XCTAssertEqual(rows.map(\.entry), entries)
        let unlock = rows[0].entry
        XCTAssertEqual(unlock.txn, txn)
        XCTAssertEqual(unlock.camera, "cam-a")
        XCTAssertEqual(unlock.member?.name, "obama")
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        XCTAssertEqual(unlock.kind, .unlock)
        XCTAssertEqual(unlock.captureMonotonicNs, (start + .seconds(2)).nanoseconds)
        XCTAssertEqual(try unlock.snapshot(), decisions[0].snapshot)
        XCTAssertNil(rows[1].entry.member)
        XCTAssertEqual(rows[1].entry.faceIndex, 1)
        // Stored as readable text for anyone with sqlite3.
        let raw = try store.pool.read { try Row.fetchOne($0, sql: "SELECT txn, unlocked_json, decision, snapshot_json FROM audit WHERE id = ?",
                                                       arguments: [ids[0]])! }
        XCTAssertEqual(raw["txn"] as String, txn.description)
        XCTAssertEqual(raw["unlocked_json"] as String, #"["DC006"]"#)
        XCTAssertEqual(raw["decision"] as String, "unlock")
        XCTAssertTrue((raw["snapshot_json"] as String).contains(#""lock":"DC006""#))
    }

    func testAuditTailLastRowsAndFollowing() throws {
        let store = try open()
        XCTAssertEqual(try store.auditTail(limit: 5), [])
        XCTAssertEqual(try store.lastAuditID(), 0)
        for n in 1...10 { try store.appendAudit(auditEntry(reason: "r\(n)")) }
        XCTAssertEqual(try store.auditTail(limit: 3).map(\.entry.reason), ["r8", "r9", "r10"])
        XCTAssertEqual(try store.auditTail(limit: 4, afterID: 2).map(\.entry.reason), ["r3", "r4", "r5", "r6"])
        XCTAssertEqual(try store.auditTail(limit: 4, afterID: 10), [])
        XCTAssertEqual(try store.lastAuditID(), 10)
        assertStoreError(.invalidField(name: "limit", reason: "must be at least 1, got 0")) { _ = try store.auditTail(limit: 0) }
    }

    // MARK: Delivery

    private func unlockEntry(_ locks: [LockID], qos: Int = 1) -> AuditEntry {
        AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(9), faceIndex: 0, captureMonotonicNs: 5,
                   captureWallNs: 2, member: MemberRef(id: MemberID(1), name: "obama"), distance: 0.3, snapshotJSON: nil,
                   unlockedLocks: locks, kind: .unlock, reason: "obama matched at 0.300; unlocked \(locks)",
                   deliveries: locks.map { UnlockDelivery(lock: $0, qos: qos) })
    }

    func testUnlockRowIsWrittenWithItsCommandsPendingThenUpdatedByTheOutcome() throws {
        let store = try open()
        let id = try store.appendAudit(unlockEntry(["DC006"]))
        var row = try XCTUnwrap(try store.auditRecord(id: id)).entry
        XCTAssertEqual(row.deliveries, [UnlockDelivery(lock: "DC006", qos: 1, state: .pending)])
        XCTAssertEqual(row.deliveries.first?.summary, "pending")

        try store.recordDelivery(auditID: id, lock: "DC006", state: .published, detail: "PUBACK received", wallNs: 50)
        row = try XCTUnwrap(try store.auditRecord(id: id)).entry
        XCTAssertEqual(row.kind, .unlock)
        XCTAssertEqual(row.unlockedLocks, ["DC006"])
        XCTAssertEqual(row.deliveries, [UnlockDelivery(lock: "DC006", qos: 1, state: .published, detail: "PUBACK received",
                                                       outcomeWallNs: 50)])
        try store.recordConfirmation(auditID: id, lock: "DC006", .confirmed, wallNs: 60)
        try store.recordConfirmation(auditID: id, lock: "DC006", .unconfirmed, wallNs: 70)
        row = try XCTUnwrap(try store.auditTail(limit: 1).first).entry
        XCTAssertEqual(row.deliveries.first?.confirmation, .confirmed, "the first word stands")
        XCTAssertEqual(row.deliveries.first?.confirmationWallNs, 60)
        XCTAssertEqual(row.deliveries.first?.summary, "confirmed")
    }

    func testRowWhoseEveryCommandFailedBecomesUnlockFailedNamingLockAndCause() throws {
        let store = try open()
        let id = try store.appendAudit(unlockEntry(["DC006"]))
        try store.recordDelivery(auditID: id, lock: "DC006", state: .failed, detail: "MQTT not connected", wallNs: 50)
        let row = try XCTUnwrap(try store.auditRecord(id: id)).entry
        XCTAssertEqual(row.kind, .unlockFailed)
        XCTAssertEqual(row.unlockedLocks, [], "never an unlock without a lock, never a failed lock among the unlocked")
        XCTAssertTrue(row.reason.hasSuffix("; NOT DELIVERED: DC006 (MQTT not connected)"), row.reason)
        XCTAssertEqual(row.deliveries.first?.state, .failed)
    }

    func testOneOfTwoCommandsFailingKeepsTheUnlockOfTheOther() throws {
        let store = try open()
        let id = try store.appendAudit(unlockEntry(["DC001", "DC006"]))
        try store.recordDelivery(auditID: id, lock: "DC001", state: .failed, detail: "no PUBACK before the deadline", wallNs: 50)
        try store.recordDelivery(auditID: id, lock: "DC006", state: .published, detail: "PUBACK received", wallNs: 51)
        let row = try XCTUnwrap(try store.auditRecord(id: id)).entry
        XCTAssertEqual(row.kind, .unlock)
        XCTAssertEqual(row.unlockedLocks, ["DC006"])
        XCTAssertEqual(row.reason.components(separatedBy: "NOT DELIVERED").count, 2, "the cause is named once: \(row.reason)")
        XCTAssertTrue(row.reason.contains("DC001 (no PUBACK before the deadline)"), row.reason)
        XCTAssertThrowsError(try store.recordDelivery(auditID: id, lock: "DC002", state: .published, detail: nil, wallNs: 1))
    }

    func testCommandsLeftPendingByACrashAreUnknownAtTheNextStart() throws {
        let store = try open()
        let crashed = try store.appendAudit(unlockEntry(["DC006"]))
        let done = try store.appendAudit(unlockEntry(["DC001"]))
        try store.recordDelivery(auditID: done, lock: "DC001", state: .published, detail: "PUBACK received", wallNs: 5)
        XCTAssertEqual(try open().closeInterruptedDeliveries(wallNs: 99), 1)
        let row = try XCTUnwrap(try store.auditRecord(id: crashed)).entry
        XCTAssertEqual(row.kind, .unlock, "the door may have opened: the row stays")
        XCTAssertEqual(row.unlockedLocks, ["DC006"])
        XCTAssertEqual(row.deliveries.first?.state, .unknown)
        XCTAssertEqual(row.deliveries.first?.outcomeWallNs, 99)
        XCTAssertEqual(try store.auditRecord(id: done)?.entry.deliveries.first?.state, .published)
        XCTAssertEqual(try store.closeInterruptedDeliveries(wallNs: 100), 0)
    }

    func testCorruptAuditRowIsNamed() throws {
        let store = try open()
        let id = try store.appendAudit(auditEntry(reason: "r"))
        try store.pool.write { try $0.execute(sql: "UPDATE audit SET decision = 'open_sesame' WHERE id = ?", arguments: [id]) }
        assertStoreError(.corruptRow(table: "audit", id: id, reason: "unknown decision kind open_sesame")) {
            _ = try store.auditTail(limit: 1)
        }
    }
}

/// Collects errors from concurrent closures.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func append(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}
