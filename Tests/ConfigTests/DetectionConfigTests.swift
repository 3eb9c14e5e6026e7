import FacegateConfig
import Foundation
import XCTest
import Vocabulary

/// How detection is configured since issue 12: `[recognizer] frame_threads`, `[[cameras]]
/// min_face_px` in place of `[recognizer] max_detect_width`, and the zones a recognizer may
/// restrict a camera's detection to.
final class DetectionConfigTests: XCTestCase {
    private func problems(_ text: String) -> [String] { FacegateConfiguration.check(text: text).map(\.description) }

    private let camera = """
        [[locks]]
        id = "DC001"

        [[locks]]
        id = "DC006"

        [[cameras]]
        id = "cam-a"
        source = "test:"
        locks = ["DC001", "DC006"]

        """

    func testFrameThreadsIsReadWithDefaultOne() throws {
        XCTAssertEqual(try FacegateConfiguration.parse(text: "").recognizer.frameThreads, 1)
        XCTAssertEqual(try FacegateConfiguration.parse(text: "[recognizer]\nframe_threads = 2\n").recognizer.frameThreads, 2)
    }

    func testFrameThreadsOutOfRangeIsNamed() {
        for bad in ["0", "17"] {
            let found = problems("[recognizer]\nframe_threads = \(bad)\n")
            XCTAssertEqual(found.count, 1, found.joined(separator: "\n"))
            XCTAssertTrue(found.first?.contains("recognizer.frame_threads: must be between 1 and 16, not \(bad)") ?? false,
                          found.joined(separator: "\n"))
        }
    }

    func testMaxDetectWidthIsRefusedNamingItsReplacement() {
        let found = problems("[recognizer]\nmax_detect_width = 640\n")
        XCTAssertEqual(found.count, 1, found.joined(separator: "\n"))
        XCTAssertTrue(found.first?.contains("line 2: recognizer.max_detect_width: is replaced by min_face_px on each [[cameras]] entry")
                      ?? false, found.joined(separator: "\n"))
        XCTAssertTrue(found.first?.contains("is min_face_px = 100") ?? false, found.joined(separator: "\n"))
    }

    func testMinFacePxIsReadPerCameraAndChecked() throws {
        XCTAssertNil(try FacegateConfiguration.parse(text: camera).cameras[0].minFacePx)
        XCTAssertEqual(try FacegateConfiguration.parse(text: camera + "min_face_px = 90\n").cameras[0].minFacePx, 90)
        let found = problems(camera + "min_face_px = 10\n")
        XCTAssertEqual(found.count, 1, found.joined(separator: "\n"))
        XCTAssertTrue(found.first?.contains("cameras[0].min_face_px: must be between 20 and 4096, not 10") ?? false,
                      found.joined(separator: "\n"))
    }

    func testDetectionZonesOnlyWhenEveryLockHasOne() throws {
        let one = try FacegateConfiguration.parse(text: camera + "zones = { DC001 = [0.0, 0.0, 0.5, 1.0] }\n")
        XCTAssertEqual(one.cameras[0].detectionZones, [], "DC006 takes faces anywhere: the whole frame is scanned")
        let both = try FacegateConfiguration.parse(text: camera
                                                   + "zones = { DC001 = [0.0, 0.0, 0.5, 1.0], DC006 = [0.5, 0.2, 0.9, 0.8] }\n")
        XCTAssertEqual(both.cameras[0].detectionZones, [try NormalizedRect(minX: 0, minY: 0, maxX: 0.5, maxY: 1),
                                                        try NormalizedRect(minX: 0.5, minY: 0.2, maxX: 0.9, maxY: 0.8)])
    }
}
