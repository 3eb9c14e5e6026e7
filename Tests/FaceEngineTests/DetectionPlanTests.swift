import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// `min_face_px` and lock zones turned into what the engine scans (`DoorDetection.plan`):
/// every reference face that is at least `min_face_px` across (and inside the zones) is still
/// found, boxes come back in the frame's coordinates, and where a box is the one full
/// resolution finds, its descriptor is within 1e-4 of the full-resolution one.
final class DetectionPlanTests: XCTestCase {
    private let descriptorTolerance: Float = 1e-4

    func testEveryReferenceFaceAtLeastMinFacePxIsFound() throws {
        // 40: below what one doubling needs, so the engine's own route (all 18 boxes the same).
        XCTAssertEqual(try check(minFace: 40, zonesAroundFaces: false), 0)
        for minFace in [60, 100, 150, 250] {
            XCTAssertEqual(try check(minFace: minFace, zonesAroundFaces: false), 17, "every photo scanned smaller")
        }
    }

    func testZoneCroppedDetectionFindsEveryReferenceFaceInItsZone() throws {
        for minFace in [40, 60, 150] {
            XCTAssertGreaterThan(try check(minFace: minFace, zonesAroundFaces: true), 10, "photos scanned smaller")
        }
    }

    func testPlanScalesTheRegionAndCropsToTheZonesWithAMargin() throws {
        let frame = ImageSize(width: 1280, height: 720)
        // 80 px window x 1.25 / 100 px faces = 1.0: the 1280 px frame as it is, no doubling.
        let plain = DoorDetection(minFacePx: 100).plan(frame: frame, upsample: 1)
        XCTAssertEqual(plain, DetectionPlan(region: nil, maxDetectWidth: 640))
        // Small faces: the engine's own route (full resolution, doubled).
        XCTAssertEqual(DoorDetection(minFacePx: 50).plan(frame: frame, upsample: 1), DetectionPlan())
        let zoned = DoorDetection(minFacePx: 200, zones: [try NormalizedRect(minX: 0.4, minY: 0.3, maxX: 0.6, maxY: 0.5),
                                                          try NormalizedRect(minX: 0.5, minY: 0.2, maxX: 0.7, maxY: 0.4)]).plan(frame: frame, upsample: 1)
        // Union 0.4...0.7 x 0.2...0.5 = 512...896 x 144...360 px, plus 0.4 x 720 = 288 px each
        // side, cut at the frame's edges: 224...1184 x 0...648.
        XCTAssertEqual(zoned.region, DetectionPlan.Region(x: 224, y: 0, width: 960, height: 648))
        XCTAssertEqual(zoned.maxDetectWidth, 240)  // seen 480 across (960 x 0.5): 240 before the doubling
        XCTAssertEqual(DoorDetection.smallestFace(upsample: 1), 50)
    }

    // MARK: Helpers

    /// Returns how many photos were scanned smaller than whole at full resolution.
    @discardableResult
    private func check(minFace: Int, zonesAroundFaces: Bool) throws -> Int {
        let engine = try EngineFixture.fivePoint.get()
        let reference = try ReferenceFaces.load()
        var required = 0, sameBox = 0, scannedLess = 0
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let size = ImageSize(width: image.width, height: image.height)
            var zones: [NormalizedRect] = []
            if zonesAroundFaces {
                // A zone is where a face's centre may be: a little box around each centre.
                zones = try photo.faces.map { f in
                    let cx = Double(f.left + f.right) / 2 / Double(image.width)
                    let cy = Double(f.top + f.bottom) / 2 / Double(image.height)
                    return try NormalizedRect(minX: max(0, cx - 0.02), minY: max(0, cy - 0.02), maxX: min(1, cx + 0.02), maxY: min(1, cy + 0.02))
                }
            }
            let plan = DoorDetection(minFacePx: minFace, zones: zones).plan(frame: size, upsample: 1)
            if plan.region != nil || plan.maxDetectWidth != nil { scannedLess += 1 }
            let full = try engine.detect(image: image)
            let fullDescriptors = try engine.descriptors(for: full, in: image)
            let planned = try engine.detect(image: image, plan: plan)
            let plannedDescriptors = try engine.descriptors(for: planned, in: image)
            for (i, ref) in photo.faces.enumerated() where ref.right - ref.left >= minFace {
                required += 1
                let what = "min_face_px \(minFace)\(zonesAroundFaces ? " in zones" : ""), \(photo.file)#\(i) (\(ref.right - ref.left) px)"
                let refBox = FaceBox(left: ref.left, top: ref.top, right: ref.right, bottom: ref.bottom)
                guard let found = planned.indices.max(by: { overlap(planned[$0].box, refBox) < overlap(planned[$1].box, refBox) }),
                      overlap(planned[found].box, refBox) > 0.5 else {
                    XCTFail("\(what): not found (plan \(plan), found \(planned.map(\.box)))")
                    continue
                }
                if let j = full.firstIndex(where: { $0.detectorBox == planned[found].detectorBox }) {
                    sameBox += 1
                    let d = zip(fullDescriptors[j].values, plannedDescriptors[found].values).map { abs($0 - $1) }.max() ?? .infinity
                    XCTAssertLessThanOrEqual(d, descriptorTolerance, "\(what): descriptor against full resolution")
                }
            }
        }
        XCTAssertGreaterThan(required, 0)
        defer {
            print("min_face_px \(minFace)\(zonesAroundFaces ? " in zones" : ""): \(required) faces required and found,"
              + " \(sameBox) with the full-resolution box, \(scannedLess)/\(reference.images.count) photos scanned smaller")
        }
        return scannedLess
    }

    /// Intersection over union.
    private func overlap(_ a: FaceBox, _ b: FaceBox) -> Double {
        let w = min(a.right, b.right) - max(a.left, b.left), h = min(a.bottom, b.bottom) - max(a.top, b.top)
        guard w > 0, h > 0 else { return 0 }
        let i = Double(w * h)
        return i / (Double(a.width * a.height) + Double(b.width * b.height) - i)
    }
}
