import FaceEngine
import TestSupport
import Vocabulary
import XCTest

/// Pixel formats, strides, downscaled detection, several instances, quality, MMOD.
final class EngineBehaviourTests: XCTestCase {
    func testPaddedStrideGivesTheSameResultAsPackedRows() throws {
        let engine = try EngineFixture.fivePoint.get()
        let packed = try EngineFixture.photo("obama-480p.jpg")
        let padding = 13
        var bytes: [UInt8] = []
        for y in 0..<packed.height {
            bytes += packed.bytes[(y * packed.stride)..<(y * packed.stride + packed.width * 3)]
            bytes += [UInt8](repeating: 0xAB, count: padding)
        }
        let padded = Image(format: .rgb24, width: packed.width, height: packed.height,
                           stride: packed.width * 3 + padding, bytes: bytes)
        let a = try engine.analyze(image: packed)
        let b = try engine.analyze(image: padded)
        XCTAssertEqual(a.count, 1)
        XCTAssertEqual(a, b)
    }

    func testGrayFramesFindTheSameFace() throws {
        let engine = try EngineFixture.fivePoint.get()
        let rgb = try EngineFixture.photo("obama-720p.jpg")
        let gray = rgb.grayscale()
        XCTAssertEqual(gray.format, .gray8)
        let fromRGB = try engine.analyze(image: rgb)
        let fromGray = try engine.analyze(image: gray)
        XCTAssertEqual(fromGray.count, 1)
        XCTAssertEqual(fromRGB.count, 1)
        let (c, g) = (fromRGB[0].face.box, fromGray[0].face.box)
        XCTAssertLessThanOrEqual(max(abs(c.left - g.left), abs(c.top - g.top), abs(c.right - g.right), abs(c.bottom - g.bottom)),
                                 c.width / 5, "gray box \(g) vs rgb box \(c)")
        // A grey chip loses colour, not identity.
        XCTAssertLessThan(fromRGB[0].descriptor.distance(to: fromGray[0].descriptor), 0.6)
    }

    /// The speed option must not lose faces: every reference face is found when detection runs
    /// on a copy at most 640 px wide, its box is near the full-resolution one, and its
    /// descriptor stays close to the reference.
    func testDownscaledDetectionFindsEveryReferenceFace() throws {
        let reference = try ReferenceFaces.load()
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                               maxDetectWidth: 640))
        var worstDistance = 0.0
        var worstBoxShift = 0.0
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let found = try engine.analyze(image: image)
            XCTAssertEqual(found.count, photo.faces.count, photo.file)
            // Detector scores at another scale may order the faces differently: pair each
            // reference face with the found face nearest to it.
            for (i, ref) in photo.faces.enumerated() {
                guard let face = found.min(by: { centreDistance($0.face.box, ref) < centreDistance($1.face.box, ref) }) else {
                    continue
                }
                let size = Double(ref.right - ref.left)
                let shift = Double([abs(face.face.box.left - ref.left), abs(face.face.box.top - ref.top),
                                    abs(face.face.box.right - ref.right), abs(face.face.box.bottom - ref.bottom)].max()!) / size
                worstBoxShift = max(worstBoxShift, shift)
                XCTAssertLessThan(shift, 0.25, "\(photo.file)#\(i): box \(face.face.box) vs reference trbl \(ref.box_trbl)")
                let distance = referenceDistance(face.descriptor.values, ref.descriptor_5pt)
                worstDistance = max(worstDistance, distance)
                XCTAssertLessThan(distance, 0.15, "\(photo.file)#\(i)")
            }
        }
        print("downscaled detection (640 px): worst box shift \(worstBoxShift) of face width, worst descriptor distance \(worstDistance)")
    }

    private func centreDistance(_ box: FaceBox, _ ref: ReferenceFaces.Face) -> Int {
        abs(box.left + box.right - ref.left - ref.right) + abs(box.top + box.bottom - ref.top - ref.bottom)
    }

    func testInstancesWorkConcurrentlyWithIdenticalResults() throws {
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory, threads: 2))
        let images = try ["obama-480p.jpg", "two_people.jpg", "biden2.jpg", "obama_small.jpg"].map(EngineFixture.photo)
        let serial = try images.map { try engine.analyze(image: $0) }
        let results = ConcurrentResults(count: images.count * 2)
        DispatchQueue.concurrentPerform(iterations: images.count * 2) { i in
            results.set(i, Result { try engine.analyze(image: images[i % images.count]) })
        }
        for i in 0..<images.count * 2 {
            XCTAssertEqual(try results.get(i).get(), serial[i % images.count], "run \(i)")
        }
    }

    func testQualityGrowsWithFaceSize() throws {
        let engine = try EngineFixture.fivePoint.get()
        let small = try XCTUnwrap(engine.detect(image: EngineFixture.photo("obama-240p.jpg")).first)
        let large = try XCTUnwrap(engine.detect(image: EngineFixture.photo("obama-1080p.jpg")).first)
        // The same frame at 240 and 1080 lines: eye distance scales with the resolution.
        let ratio = large.interocularDistance / small.interocularDistance
        XCTAssertEqual(ratio, 1080.0 / 240.0, accuracy: 0.6)
        XCTAssertLessThan(small.quality, large.quality)
        XCTAssertGreaterThan(large.quality, 0.7, "a frontal 1080p face")
        XCTAssertEqual(large.landmarks.count, 5)
        let big68 = try XCTUnwrap(EngineFixture.sixtyEightPoint.get().detect(image: EngineFixture.photo("obama-1080p.jpg")).first)
        XCTAssertEqual(big68.landmarks.count, 68)
        XCTAssertEqual(big68.interocularDistance, large.interocularDistance, accuracy: large.interocularDistance * 0.15)
    }

    func testMMODFindsTheSameFaceAsHOG() throws {
        let mmod = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                             detector: .mmod, upsample: 0))
        let image = try EngineFixture.photo("obama-480p.jpg")
        let faces = try mmod.analyze(image: image)
        XCTAssertEqual(faces.count, 1)
        let hog = try EngineFixture.fivePoint.get().analyze(image: image)
        let (a, b) = (faces[0].face.box, hog[0].face.box)
        let overlapW = max(0, min(a.right, b.right) - max(a.left, b.left) + 1)
        let overlapH = max(0, min(a.bottom, b.bottom) - max(a.top, b.top) + 1)
        let iou = Double(overlapW * overlapH) / Double(a.width * a.height + b.width * b.height - overlapW * overlapH)
        XCTAssertGreaterThan(iou, 0.4, "MMOD \(a) vs HOG \(b)")
        XCTAssertLessThan(faces[0].descriptor.distance(to: hog[0].descriptor), 0.3)
    }

    func testDescriptorDistanceAgreesWithTheReferenceComputation() throws {
        let a = try FaceDescriptor([Float](repeating: 0, count: 128))
        var v = [Float](repeating: 0, count: 128)
        v[0] = 3; v[1] = 4
        let b = try FaceDescriptor(v)
        XCTAssertEqual(a.distance(to: b), 5, accuracy: 1e-6)
        XCTAssertEqual(b.distance(to: b), 0)
        XCTAssertThrowsError(try FaceDescriptor([1, 2, 3]))
        XCTAssertThrowsError(try FaceDescriptor([Float](repeating: .nan, count: 128)))
        XCTAssertEqual(referenceDistance([1], [1, 2]), .infinity)
        let reference = try ReferenceFaces.load()
        let all = reference.images.flatMap(\.faces).map(\.descriptor_5pt)
        for x in all { for y in all {
            XCTAssertEqual(try FaceDescriptor(x).distance(to: FaceDescriptor(y)), referenceDistance(x, y), accuracy: 1e-5)
        } }
    }
}

/// Results written by concurrent workers.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<[DescribedFace], Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<[DescribedFace], Error>) { lock.lock(); values[i] = r; lock.unlock() }
    func get(_ i: Int) -> Result<[DescribedFace], Error> {
        lock.lock(); defer { lock.unlock() }
        return values[i] ?? .failure(FaceEngineError.engineFailure("no result"))
    }
}
