import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// The 68-point shapes liveness judges: where they lie on real photos, that asking for them
/// leaves the descriptors alone, and which box they are fitted in.
final class LandmarkTests: XCTestCase {
    /// Every reference face: all 68 points near the detector's box, and the face's parts in
    /// their places (eyes above the nose above the mouth, the person's right eye on the
    /// image's left, the jaw running left to right).
    func testShapesLieInTheBoxInFacialOrder() throws {
        let engine = try EngineFixture.fivePoint.get()
        let reference = try ReferenceFaces.load()
        var faces = 0
        // Worst distance past each side of the detector box, as a share of the box's size.
        var worst = (sides: 0.0, top: 0.0, bottom: 0.0)
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let found = try engine.detect(image: image)
            XCTAssertEqual(found.count, photo.faces.count, photo.file)
            let shapes = try engine.landmarks68(for: found, in: image)
            XCTAssertEqual(shapes.count, found.count, photo.file)
            for (i, (face, shape)) in zip(found, shapes).enumerated() {
                let what = "\(photo.file)#\(i)"
                let box = face.detectorBox
                // dlib's HOG box runs from the brows to about the lower lip: the chin lies
                // below it (measured up to 0.30 of the box height), a turned head's far jaw
                // beside it (up to 0.18 of its width), nothing above it.
                for (k, p) in shape.points.enumerated() {
                    let sides = max(Double(box.left) - Double(p.x), Double(p.x) - Double(box.right), 0) / Double(box.width)
                    let above = max(Double(box.top) - Double(p.y), 0) / Double(box.height)
                    let below = max(Double(p.y) - Double(box.bottom), 0) / Double(box.height)
                    worst = (max(worst.sides, sides), max(worst.top, above), max(worst.bottom, below))
                    XCTAssertLessThan(sides, 0.25, "\(what) point \(k) \(p) beside \(box)")
                    XCTAssertLessThan(above, 0.1, "\(what) point \(k) \(p) above \(box)")
                    XCTAssertLessThan(below, 0.4, "\(what) point \(k) \(p) below \(box)")
                }
                let rightEye = mean(shape[.rightEye]), leftEye = mean(shape[.leftEye])
                let nose = mean(shape[.lowerNose]), mouth = mean(shape[.outerLips])
                XCTAssertLessThan(max(rightEye.y, leftEye.y), nose.y, "\(what): eyes above the nose")
                XCTAssertLessThan(nose.y, mouth.y, "\(what): nose above the mouth")
                XCTAssertLessThan(rightEye.x, leftEye.x, "\(what): the person's right eye on the image's left")
                XCTAssertLessThan(shape[0].x, shape[16].x, "\(what): jaw from the image's left to its right")
                XCTAssertTrue(rightEye.x < nose.x && nose.x < leftEye.x, "\(what): nose between the eyes")
                faces += 1
            }
        }
        XCTAssertEqual(faces, 18, "every reference face")
        print("68-point shapes past the detector box, share of its size: sides \(worst.sides), top \(worst.top), bottom \(worst.bottom)")
    }

    /// Asking for the shapes changes nothing else: same faces, bit-identical descriptors, as
    /// the separate detect + descriptors calls give them; the shapes come only when asked.
    func testAskingForShapesLeavesDescriptorsBitIdentical() throws {
        let engine = try EngineFixture.fivePoint.get()
        for file in ["obama-480p.jpg", "two_people.jpg", "obama-1080p.jpg", "lin-manuel-miranda.png"] {
            let image = try EngineFixture.photo(file)
            let separate = try engine.detect(image: image)
            let separateDescriptors = try engine.descriptors(for: separate, in: image)
            let (plain, withShapes) = try image.bytes.withUnsafeBytes { pixels in
                (try engine.analyze(pixels: pixels, format: image.format, width: image.width, height: image.height,
                                    stride: image.stride),
                 try engine.analyze(pixels: pixels, format: image.format, width: image.width, height: image.height,
                                    stride: image.stride, landmarks68: true))
            }
            XCTAssertFalse(plain.faces.isEmpty, file)
            XCTAssertEqual(plain.faces.map(\.face), separate, file)
            XCTAssertEqual(withShapes.faces.map(\.face), separate, file)
            for (i, descriptor) in separateDescriptors.enumerated() {
                let bits = descriptor.values.map(\.bitPattern)
                XCTAssertEqual(plain.faces[i].descriptor.values.map(\.bitPattern), bits, "\(file)#\(i) without shapes")
                XCTAssertEqual(withShapes.faces[i].descriptor.values.map(\.bitPattern), bits, "\(file)#\(i) with shapes")
                XCTAssertEqual(plain.faces[i].face.landmarks.count, 5, "the descriptor's own landmarks stay 5-point")
            }
            XCTAssertTrue(plain.faces.allSatisfy { $0.landmarks68 == nil && $0.detected.landmarks == nil }, file)
            XCTAssertNil(plain.landmarksMicros, "no time spent when not asked")
            XCTAssertEqual(withShapes.faces.map(\.landmarks68), try engine.landmarks68(for: separate, in: image).map(Optional.some), file)
            XCTAssertTrue(withShapes.faces.allSatisfy { $0.detected.landmarks?.points.count == 68 }, file)
            XCTAssertNotNil(withShapes.landmarksMicros)
        }
    }

    /// The shape a 5-point engine fits on request (the shim's flat copy of dlib's predictor)
    /// is the one a 68-point engine fits while detecting (dlib's own): same model, same
    /// trimmed box, same bits, on every reference face, on a face cut by the image edge (the
    /// box is trimmed before fitting) and on a grey frame; a 68-point engine asked again
    /// reuses its own predictor.
    func testShapesEqualWhatASixtyEightPointEngineFits() throws {
        let five = try EngineFixture.fivePoint.get()
        let sixtyEight = try EngineFixture.sixtyEightPoint.get()
        let obama = try EngineFixture.photo("obama-480p.jpg")
        let whole = try XCTUnwrap(five.detect(image: obama).first)
        // Cut off the left 30 % of the face: its detector box then starts left of the frame.
        let cutAt = whole.box.left + whole.box.width * 3 / 10
        let cut = crop(obama, fromColumn: cutAt)
        var images = try ReferenceFaces.load().images.map { ($0.file, try EngineFixture.photo($0.file)) }
        images += [("obama-480p.jpg grey", obama.grayscale()), ("obama-480p.jpg cut at x \(cutAt)", cut)]
        var sawEdgeFace = false
        var shapes = 0
        for (what, image) in images {
            let faces = try five.detect(image: image)
            let detected68 = try sixtyEight.detect(image: image)
            XCTAssertFalse(faces.isEmpty, what)
            XCTAssertEqual(faces.map(\.detectorBox), detected68.map(\.detectorBox), "\(what): same detector")
            if faces.contains(where: { $0.detectorBox.left < 0 }) { sawEdgeFace = true }
            let fitted = try five.landmarks68(for: faces, in: image)
            let refitted = try sixtyEight.landmarks68(for: detected68, in: image)
            for (i, face68) in detected68.enumerated() {
                let expected = face68.landmarks.map { LandmarkPoint(x: Float($0.x), y: Float($0.y)) }
                XCTAssertEqual(fitted[i].points, expected, "\(what)#\(i): 5-point engine's 68-point shape")
                XCTAssertEqual(refitted[i].points, expected, "\(what)#\(i): 68-point engine asked again")
                shapes += 1
            }
        }
        XCTAssertEqual(shapes, 18 + 2)
        XCTAssertTrue(sawEdgeFace, "the cut photo's face box reaches past the left edge")
    }

    /// A models directory without the 68-point file: the engine starts and recognises as
    /// before; asking for shapes names the missing file (or the unreadable one), and works
    /// once the file is there.
    func testMissingSixtyEightPointModelIsNamedAndLoadedOnceThere() throws {
        let dir = TemporaryDirectory()
        for file in ["shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"] {
            try FileManager.default.createSymbolicLink(atPath: dir.file(file).path,
                                                       withDestinationPath: EngineFixture.modelsDirectory + "/" + file)
        }
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: dir.path))
        let image = try EngineFixture.photo("obama-240p.jpg")
        let faces = try engine.detect(image: image)
        XCTAssertEqual(faces.count, 1)
        let missing = dir.file(FaceEngineOptions.landmarks68ModelFile).path
        XCTAssertThrowsError(try engine.landmarks68(for: faces, in: image)) { error in
            XCTAssertEqual(error as? FaceEngineError, .modelFileMissing(path: missing))
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        XCTAssertThrowsError(try image.bytes.withUnsafeBytes {
            try engine.analyze(pixels: $0, format: image.format, width: image.width, height: image.height,
                               stride: image.stride, landmarks68: true)
        }) { XCTAssertEqual($0 as? FaceEngineError, .modelFileMissing(path: missing)) }
        // Recognition itself is unaffected.
        XCTAssertEqual(try engine.analyze(image: image).count, 1)

        try Data("not a dlib model".utf8).write(to: URL(fileURLWithPath: missing))
        XCTAssertThrowsError(try engine.landmarks68(for: faces, in: image)) { error in
            guard case .modelFileInvalid(let reason)? = error as? FaceEngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains(missing), reason)
        }
        try FileManager.default.removeItem(atPath: missing)
        try FileManager.default.createSymbolicLink(atPath: missing,
                                                   withDestinationPath: EngineFixture.modelsDirectory + "/" + FaceEngineOptions.landmarks68ModelFile)
        let shapes = try engine.landmarks68(for: faces, in: image)
        XCTAssertEqual(shapes, try EngineFixture.fivePoint.get().landmarks68(for: faces, in: image))
    }

    func testBoxesOutsideTheImageAreRefusedByName() throws {
        let engine = try EngineFixture.fivePoint.get()
        let image = try EngineFixture.photo("obama-240p.jpg")
        let good = try XCTUnwrap(engine.detect(image: image).first)
        let beyond = FaceBox(left: image.width + 10, top: 5, right: image.width + 60, bottom: 55)
        let outside = FaceDetection(box: beyond, detectorBox: beyond, detectorScore: 1, landmarks: [])
        XCTAssertThrowsError(try engine.landmarks68(for: [good, outside], in: image)) { error in
            guard case .invalidOptions(let reason)? = error as? FaceEngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("face 1 box"), reason)
            XCTAssertTrue(reason.contains("\(image.width)x\(image.height)"), reason)
        }
        XCTAssertEqual(try engine.landmarks68(for: [good], in: image).count, 1, "the engine carries on")
        XCTAssertEqual(try engine.landmarks68(for: [], in: image), [])
    }

    // MARK: Helpers

    private func mean(_ points: ArraySlice<LandmarkPoint>) -> (x: Double, y: Double) {
        let n = Double(points.count)
        return (points.reduce(0) { $0 + Double($1.x) } / n, points.reduce(0) { $0 + Double($1.y) } / n)
    }

    private func crop(_ image: Image, fromColumn left: Int) -> Image {
        let width = image.width - left, bpp = image.format.bytesPerPixel
        var bytes: [UInt8] = []
        bytes.reserveCapacity(width * image.height * bpp)
        for y in 0..<image.height {
            let row = y * image.stride + left * bpp
            bytes += image.bytes[row..<row + width * bpp]
        }
        return Image(format: image.format, width: width, height: image.height, bytes: bytes)
    }
}
