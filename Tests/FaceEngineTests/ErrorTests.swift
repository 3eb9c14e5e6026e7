import FaceEngine
import TestSupport
import XCTest

/// Bad set-up and bad input become typed errors naming the fault; the engine keeps working.
final class ErrorTests: XCTestCase {
    func testMissingModelsDirectoryIsNamed() {
        let dir = TemporaryDirectory()
        let missing = dir.file("no-such-models").path
        XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(modelsDirectory: missing))) { error in
            XCTAssertEqual(error as? FaceEngineError, .modelsDirectoryMissing(path: missing))
            XCTAssertTrue("\(error)".contains(missing))
        }
    }

    func testMissingModelFileIsNamed() throws {
        let dir = TemporaryDirectory()
        // Everything but the descriptor network.
        try FileManager.default.createSymbolicLink(
            atPath: dir.file("shape_predictor_5_face_landmarks.dat").path,
            withDestinationPath: EngineFixture.modelsDirectory + "/shape_predictor_5_face_landmarks.dat")
        XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(modelsDirectory: dir.path))) { error in
            XCTAssertEqual(error as? FaceEngineError,
                           .modelFileMissing(path: dir.path + "/dlib_face_recognition_resnet_model_v1.dat"))
        }
        XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(modelsDirectory: dir.path, landmarks: .sixtyEight))) { error in
            XCTAssertEqual(error as? FaceEngineError,
                           .modelFileMissing(path: dir.path + "/shape_predictor_68_face_landmarks.dat"))
        }
    }

    func testCorruptModelFileIsReported() throws {
        let dir = TemporaryDirectory()
        try Data("not a dlib model".utf8).write(to: dir.file("shape_predictor_5_face_landmarks.dat"))
        XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(modelsDirectory: dir.path))) { error in
            guard case .modelFileInvalid(let reason)? = error as? FaceEngineError else {
                return XCTFail("expected modelFileInvalid, got \(error)")
            }
            XCTAssertTrue(reason.contains("shape_predictor_5_face_landmarks.dat"), reason)
        }
    }

    func testOutOfRangeOptionsAreRejected() {
        let models = EngineFixture.modelsDirectory
        for options in [
            FaceEngineOptions(modelsDirectory: models, upsample: 7),
            FaceEngineOptions(modelsDirectory: models, upsample: -1),
            FaceEngineOptions(modelsDirectory: models, maxDetectWidth: 4),
            FaceEngineOptions(modelsDirectory: models, threads: 0),
        ] {
            XCTAssertThrowsError(try FaceEngine(options: options)) { error in
                guard case .invalidOptions? = error as? FaceEngineError else { return XCTFail("\(options): \(error)") }
            }
        }
    }

    func testInconsistentBuffersAreInvalidImagesAndEngineCarriesOn() throws {
        let engine = try EngineFixture.fivePoint.get()
        let bad: [(Image, String)] = [
            (Image(format: .rgb24, width: 640, height: 480, bytes: [UInt8](repeating: 0, count: 640 * 480 * 3 - 1)), "bytes"),
            (Image(format: .rgb24, width: 640, height: 480, stride: 640, bytes: [UInt8](repeating: 0, count: 640 * 480 * 3)), "stride"),
            (Image(format: .gray8, width: 0, height: 480, bytes: []), "size"),
            (Image(format: .gray8, width: -5, height: 10, stride: 10, bytes: [UInt8](repeating: 0, count: 100)), "size"),
            (Image(format: .gray8, width: 100_000, height: 1, bytes: [UInt8](repeating: 0, count: 100_000)), "size"),
            (Image(format: .rgb24, width: 4, height: 4, bytes: []), "bytes"),
        ]
        for (image, word) in bad {
            XCTAssertThrowsError(try engine.detect(image: image)) { error in
                guard case .invalidImage(let reason)? = error as? FaceEngineError else {
                    return XCTFail("\(image.width)x\(image.height): \(error)")
                }
                XCTAssertTrue(reason.contains(word), "\(reason) should mention \(word)")
            }
            XCTAssertThrowsError(try engine.descriptors(for: try sampleFace(engine), in: image))
        }
        // Still fine afterwards.
        XCTAssertEqual(try engine.detect(image: EngineFixture.photo("obama-480p.jpg")).count, 1)
    }

    func testDescriptorsNeedTheEnginesLandmarkCount() throws {
        let five = try EngineFixture.fivePoint.get()
        let sixtyEight = try EngineFixture.sixtyEightPoint.get()
        let image = try EngineFixture.photo("obama-480p.jpg")
        let faces = try five.detect(image: image)
        XCTAssertThrowsError(try sixtyEight.descriptors(for: faces, in: image)) { error in
            guard case .invalidOptions(let reason)? = error as? FaceEngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("5 landmarks"), reason)
        }
    }

    func testUnreadableImageFiles() throws {
        let dir = TemporaryDirectory()
        let missing = dir.file("missing.jpg").path
        XCTAssertThrowsError(try Image(contentsOfFile: missing)) { error in
            guard case .imageLoadFailed(let path, _)? = error as? FaceEngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
        }
        let text = dir.file("notes.jpg")
        try Data("hello, not a picture".utf8).write(to: text)
        XCTAssertThrowsError(try Image(contentsOfFile: text.path)) { error in
            guard case .imageLoadFailed(let path, _)? = error as? FaceEngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, text.path)
        }
        // A JPEG cut in half: dlib's loader reports it rather than crashing.
        let whole = try Data(contentsOf: Paths.face("obama-240p.jpg"))
        let cut = dir.file("cut.jpg")
        try whole.prefix(whole.count / 2).write(to: cut)
        if let image = try? Image(contentsOfFile: cut.path) {
            // libjpeg may deliver a partial image with a warning: it must still be well-formed.
            XCTAssertEqual(image.bytes.count, image.width * image.height * 3)
        }
    }

    private func sampleFace(_ engine: FaceEngine) throws -> [FaceDetection] {
        try engine.detect(image: EngineFixture.photo("obama-240p.jpg"))
    }
}
