import BrokerCore
@testable import LockBroker
import Vocabulary
import XCTest

final class ResultPlausibilityTests: XCTestCase {
    private let frame = ImageSize(width: 640, height: 480)
    private let inside = FaceBox(left: 100, top: 80, right: 220, bottom: 200)

    private func descriptor(_ seed: Float, nudge: Float = 0) throws -> FaceDescriptor {
        var values = (0..<FaceDescriptor.dimension).map { Float($0 % 7) * 0.01 * seed }
        values[0] += nudge
        return try FaceDescriptor(values)
    }

    private func gallery() throws -> Gallery {
        Gallery(members: [
            Gallery.Member(id: MemberID(1), name: "obama", descriptors: [try descriptor(1), try descriptor(2)], grants: []),
            Gallery.Member(id: MemberID(2), name: "biden", descriptors: [try descriptor(3)], grants: []),
        ])
    }

    func testAFaceSeenByACameraIsPlausible() throws {
        // 0.03 from obama's second descriptor: as close as two real captures of one face get.
        let face = DetectedFace(box: inside, descriptor: try descriptor(2, nudge: 0.03))
        XCTAssertNil(ResultPlausibility().check([face], frame: frame, gallery: try gallery()))
    }

    func testADescriptorCopiedFromTheGalleryIsRefused() throws {
        let real = DetectedFace(box: inside, descriptor: try descriptor(1, nudge: 0.05))
        let copy = DetectedFace(box: inside, descriptor: try descriptor(3))
        XCTAssertEqual(ResultPlausibility().check([real, copy], frame: frame, gallery: try gallery()),
                       .replayedDescriptor(face: 1, member: "biden", distance: 0))
    }

    func testBoxesOutsideTheFrameOrEmptyAreRefused() throws {
        let d = try descriptor(1, nudge: 0.05)
        let cases: [FaceBox] = [
            FaceBox(left: -1, top: 80, right: 220, bottom: 200),
            FaceBox(left: 100, top: -5, right: 220, bottom: 200),
            FaceBox(left: 600, top: 80, right: 641, bottom: 200),
            FaceBox(left: 100, top: 400, right: 220, bottom: 481),
            FaceBox(left: 220, top: 80, right: 220, bottom: 200),
            FaceBox(left: 100, top: 200, right: 220, bottom: 80),
            FaceBox(left: 10_000, top: 10_000, right: 10_100, bottom: 10_100),
        ]
        for box in cases {
            XCTAssertEqual(ResultPlausibility().check([DetectedFace(box: box, descriptor: d)], frame: frame, gallery: try gallery()),
                           .boxOutsideFrame(face: 0, box: box, width: 640, height: 480), "\(box)")
        }
        // The frame's own edges are inside: the recognizer clips boxes to the image.
        let edge = FaceBox(left: 0, top: 0, right: 640, bottom: 480)
        XCTAssertNil(ResultPlausibility().check([DetectedFace(box: edge, descriptor: d)], frame: frame, gallery: try gallery()))
    }

    func testTheViolationNamesWhatWasWrong() {
        let text = ResultPlausibility.Violation.replayedDescriptor(face: 0, member: "obama", distance: 0).description
        XCTAssertTrue(text.contains("distance 0.0") && text.contains("obama"), text)
        let box = ResultPlausibility.Violation.boxOutsideFrame(face: 2, box: inside, width: 64, height: 48).description
        XCTAssertTrue(box.contains("face 2") && box.contains("64x48"), box)
    }
}
