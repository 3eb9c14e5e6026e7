import BrokerCore
import FaceEngine
import Foundation
import GalleryStore
import TestSupport
import Vocabulary
import XCTest

/// Issue 11's face crops on the real processes: every judged face leaves a JPEG of dlib's
/// aligned chip beside its audit row, a stranger's with its descriptor; a frame without a face
/// leaves nothing; a stranger enrolled from a crop with the admin CLI then unlocks.
final class FaceCropScenarioTests: ScenarioCase {
    /// The crop as a browser would get it: JPEG magic, then decoded (by dlib's loader, not
    /// the encoder that made it) to the size the row claims.
    private func assertDecodableJPEG(_ crop: FaceCrop, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(crop.format, "jpeg", file: file, line: line)
        XCTAssertEqual(Array(crop.image.prefix(3)), [0xff, 0xd8, 0xff], "JPEG start-of-image", file: file, line: line)
        XCTAssertEqual(Array(crop.image.suffix(2)), [0xff, 0xd9], "JPEG end-of-image", file: file, line: line)
        XCTAssertEqual(try ImageHeader(bytes: crop.image), ImageHeader(format: .jpeg, width: 150, height: 150), file: file, line: line)
        let path = dir.appendingPathComponent("crop-\(crop.auditID).jpg")
        try Data(crop.image).write(to: path)
        let decoded = try Image(contentsOfFile: path.path)
        XCTAssertEqual([decoded.width, decoded.height, crop.width, crop.height], [150, 150, 150, 150], file: file, line: line)
        // A face, not a flat picture: the chip has contrast.
        let values = decoded.bytes.map(Int.init)
        XCTAssertGreaterThan((values.max() ?? 0) - (values.min() ?? 0), 100, file: file, line: line)
        XCTAssertLessThan(crop.image.count, 20_000, "a chip is a few kB", file: file, line: line)
    }

    private func cropRows(_ p: Pipeline) throws -> Int { try store(p).cropCount() }

    /// A member's face: an unlock row with a decodable crop and no descriptor kept; a frame
    /// with no face: no row and no crop; a stranger: crops with descriptors, listed as unknown
    /// faces; `facegate faces enroll-crop --new` + a grant, and the stranger's other photo
    /// then unlocks. (The same photo again would be refused as implausible: a still picture
    /// gives the enrolled descriptor to the bit, which no camera does.) Alex's two photos are
    /// 0.52 apart in reference.json: match_threshold 0.6, face_recognition's default.
    func testCropsOfJudgedFacesOnlyAndAStrangerEnrolledFromOne() throws {
        let p = try makePipeline { $0.matchThreshold = 0.6 }
        let dir = p.databaseURL.deletingLastPathComponent()

        // A touch and frames with no face: frames go to the recognizer, nothing is judged.
        try p.touch("DC006")
        try p.showNoFace(waitForFrame: true)
        p.at(3)
        XCTAssertTrue(waitForAdmitted(p, 2), p.dump())
        XCTAssertTrue(waitUntil(timeout: 30) { p.brokerLines("msg=\"no face in frame\"").count >= 2 }, p.dump())
        XCTAssertEqual(audit(p).count, 0)
        XCTAssertEqual(try cropRows(p), 0, "a frame with no face leaves nothing")

        // obama, a member with a grant for DC006.
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        p.hide()
        XCTAssertTrue(settle(p), p.dump())
        let s = try store(p)
        var records = try s.auditTail(limit: 1_000)
        let unlock = try XCTUnwrap(records.first { $0.entry.kind == .unlock })
        let memberCrop = try XCTUnwrap(try s.faceCrop(auditID: unlock.id), "the unlock row has its crop")
        try assertDecodableJPEG(memberCrop, in: dir)
        XCTAssertNil(memberCrop.descriptor, "a member's face keeps no descriptor")
        XCTAssertEqual(try s.unknownFaces(limit: 10), [])
        XCTAssertEqual(try s.auditIDsWithCrop(records.map(\.id)), Set(records.map(\.id)), "every judged face has its crop")

        // A stranger at DC001.
        try p.touch("DC001")
        try p.show("alex-lacamoire.png")
        waitForDecision(p, .unknownFace)
        p.hide()
        XCTAssertTrue(settle(p), p.dump())
        records = try s.auditTail(limit: 1_000)
        let strangers = records.filter { $0.entry.kind == .unknownFace }
        XCTAssertFalse(strangers.isEmpty)
        let unknown = try s.unknownFaces(limit: 100)
        XCTAssertEqual(unknown.map(\.auditID), strangers.map(\.id).reversed(), "newest first, every stranger's face")
        let newest = try XCTUnwrap(try s.faceCrop(auditID: strangers.last!.id))
        try assertDecodableJPEG(newest, in: dir)
        XCTAssertEqual(newest.model, "dlib_face_recognition_resnet_model_v1")
        XCTAssertEqual(newest.detector, "hog upsample=1 landmarks=5")
        XCTAssertEqual(unknown.first?.descriptor, newest.descriptor)
        XCTAssertEqual(FaceClusters.group(unknown.map(\.descriptor), threshold: 0.5).count, 1, "one stranger, one group")
        XCTAssertEqual(try s.auditIDsWithCrop(records.map(\.id)), Set(records.map(\.id)), "every judged face has its crop")
        let tail = try p.admin(["audit", "tail", "-n", "1"])
        XCTAssertTrue(tail.contains("id=\(strangers.last!.id) ") && tail.contains("crop=yes"), tail)

        // Enrolled from the crop, granted DC001: the stranger's next face unlocks DC001.
        let enrolled = try p.admin(["faces", "enroll-crop", "--audit-id", String(strangers.last!.id), "--member", "alex", "--new"])
        XCTAssertTrue(enrolled.contains("face stored for alex"), enrolled)
        try p.admin(["grants", "add", "alex", "DC001"])
        XCTAssertEqual(try s.unknownFaces(limit: 100).map(\.auditID), Array(unknown.map(\.auditID).dropFirst()),
                       "the enrolled crop left the unknown faces")
        // Touched again: the first touch's session may have ended meanwhile (hold time).
        try p.touch("DC001")
        try p.show("alex-lacamoire2.jpg")
        let rows = waitForDecision(p, .unlock, count: 2)
        p.hide()
        let alexUnlock = try XCTUnwrap(rows.last { $0.kind == .unlock })
        XCTAssertEqual(alexUnlock.member?.name, "alex")
        XCTAssertEqual(alexUnlock.unlockedLocks, ["DC001"])
        assertSettledUnlocks(p, ["DC006": 1, "DC001": 1])
    }
}
