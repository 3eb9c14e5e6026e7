import Vocabulary
import XCTest
@testable import WireProtocol

/// What the tap and the logs print for the version 2 additions.
final class SummaryTests: XCTestCase {
    /// Point k at (k, 2k): the right eye (36–41) centres on (38.5, 77), the left (42–47) on (44.5, 89).
    private let shape = try! FaceLandmarks((0..<68).map { LandmarkPoint(x: Float($0), y: Float(2 * $0)) })

    private func result(landmarks: FaceLandmarks?) -> Message {
        .result(RecognitionResult(txn: 9, camera: "cam-a", sequence: 3, captureMonotonicNs: 5, detectMicros: 1, descriptorMicros: 2,
                                  faces: [DetectedFace(box: FaceBox(left: 1, top: 2, right: 90, bottom: 150), quality: 0.75,
                                                       descriptor: try! FaceDescriptor(Golden.descriptor), landmarks: landmarks)]))
    }

    func testResultTextShowsTheCountAndEyeCentresOnlyWhenPresent() {
        let text = MessageSummary.text(result(landmarks: shape))
        XCTAssertTrue(text.hasSuffix("face0=(1,2,90,150) q=0.75 landmarks=68 eyes=(38.5,77.0)/(44.5,89.0)"), text)
        let plain = MessageSummary.text(result(landmarks: nil))
        XCTAssertTrue(plain.hasSuffix("face0=(1,2,90,150) q=0.75"), plain)
        XCTAssertFalse(plain.contains("landmarks"), plain)
    }

    func testResultJSONCarriesEveryPoint() throws {
        let object = MessageSummary.json(result(landmarks: shape))
        let faces = try XCTUnwrap(object["faces"] as? [[String: Any]])
        let points = try XCTUnwrap(faces[0]["landmarks"] as? [[Double]])
        XCTAssertEqual(points.count, 68)
        XCTAssertEqual(points[67], [67, 134])
        let plain = try XCTUnwrap(MessageSummary.json(result(landmarks: nil))["faces"] as? [[String: Any]])
        XCTAssertNil(plain[0]["landmarks"])
        XCTAssertTrue(MessageSummary.jsonLine(object).contains("\"landmarks\":[[0,0],[1,2],"), MessageSummary.jsonLine(object))
    }

    /// Version 3's chip: its format, size and byte count, never its bytes.
    func testResultShowsTheChipsSizeNotItsBytes() throws {
        guard case let .result(r) = Golden.vectors.first(where: { $0.name == "result-chip" })!.message else {
            return XCTFail("not a result")
        }
        let text = MessageSummary.text(.result(r))
        XCTAssertTrue(text.hasSuffix("face0=(1,2,3,4) q=1.00 chip=jpeg:150x2:4B"), text)
        XCTAssertFalse(MessageSummary.text(result(landmarks: nil)).contains("chip"))
        let faces = try XCTUnwrap(MessageSummary.json(.result(r))["faces"] as? [[String: Any]])
        let chip = try XCTUnwrap(faces[0]["chip"] as? [String: Any])
        XCTAssertEqual(chip["format"] as? String, "jpeg")
        XCTAssertEqual(chip["width"] as? Int, 150)
        XCTAssertEqual(chip["height"] as? Int, 2)
        XCTAssertEqual(chip["bytes"] as? Int, 4)
    }

    func testDetectSaysWhenLandmarksAreWanted() throws {
        guard case var .detect(detect) = Golden.vectors.first(where: { $0.name == "detect-landmarks" })!.message else {
            return XCTFail("not a detect")
        }
        XCTAssertTrue(MessageSummary.text(.detect(detect)).hasSuffix("snapshot={DC006#42} landmarks=wanted"))
        let snapshot = try XCTUnwrap(MessageSummary.json(.detect(detect))["snapshot"] as? [String: Any])
        XCTAssertEqual(snapshot["landmarks_wanted"] as? Bool, true)
        detect.snapshot.landmarksWanted = false
        XCTAssertFalse(MessageSummary.text(.detect(detect)).contains("landmarks"))
    }
}
