import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import Vocabulary
import XCTest

/// `facegate faces enroll-crop`: a kept stranger's face becomes a member's, and every refusal
/// is one line naming the row or the member.
extension AdminCLITests {
    func testEnrollCropAddsTheCropsFaceAndRefusesWithReasons() throws {
        XCTAssertEqual(try facegate(["members", "add", "obama"]).status, 0)
        let store = try GalleryStore(path: databasePath)
        var values = [Float](repeating: 0, count: FaceDescriptor.dimension)
        values[7] = 0.5
        let jpeg: [UInt8] = [0xff, 0xd8, 0xff, 0xe0, 9, 9, 0xff, 0xd9]
        let entry = AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(3), faceIndex: 0, captureMonotonicNs: 1,
                               captureWallNs: 1, member: nil, distance: 0.8, snapshotJSON: nil, unlockedLocks: [],
                               kind: .unknownFace, reason: "unknown face")
        let ids = try store.appendAudit([entry, entry, entry], crops: [
            try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg, descriptor: try FaceDescriptor(values),
                          model: "dlib_face_recognition_resnet_model_v1", detector: "hog upsample=1 landmarks=5"),
            try AuditCrop(format: "jpeg", width: 150, height: 150, image: jpeg, descriptor: nil, model: nil, detector: nil),
        ])

        let added = try facegate(["faces", "enroll-crop", "--audit-id", String(ids[0]), "--member", "carol", "--new"])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertTrue(added.stdout.contains("added member carol"), added.stdout)
        XCTAssertTrue(added.stdout.contains("audit row \(ids[0]): face stored for carol (face id "), added.stdout)
        XCTAssertEqual(try store.listFaces(member: "carol").map(\.sourceSHA256), [SHA256.hex(jpeg)])

        let tail = try facegate(["audit", "tail", "-n", "3"])
        XCTAssertEqual(tail.stdout.split(separator: "\n").map { $0.contains("crop=yes") }, [true, true, false], tail.stdout)
        XCTAssertTrue(tail.stdout.contains("id=\(ids[2]) "), tail.stdout)

        for (arguments, message) in [
            (["--audit-id", String(ids[2]), "--member", "obama"], "audit row \(ids[2]) has no face crop"),
            (["--audit-id", String(ids[1]), "--member", "obama"], "the face crop of audit row \(ids[1]) has no descriptor"),
            (["--audit-id", String(ids[0]), "--member", "dave"], "no member named \"dave\""),
            (["--audit-id", String(ids[0]), "--member", "obama", "--new"], "a member named \"obama\" already exists"),
            (["--audit-id", String(ids[0]), "--member", "carol"], "carol already has a face from image"),
        ] {
            let refused = try facegate(["faces", "enroll-crop"] + arguments)
            XCTAssertEqual(refused.status, 1, "\(arguments)")
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            XCTAssertTrue(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        let zero = try facegate(["faces", "enroll-crop", "--audit-id", "0", "--member", "obama"])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.stderr.contains("--audit-id 0: audit ids start at 1."), zero.stderr)
    }
}
