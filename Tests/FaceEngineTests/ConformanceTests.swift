import FaceEngine
import TestSupport
import Vocabulary
import XCTest

/// Our engine against dlib's own Python binding on every reference photo.
final class ConformanceTests: XCTestCase {
    private let boxTolerance = 2
    private let descriptorTolerance = 0.01

    func testFivePointMatchesReference() throws {
        try checkAgainstReference(engine: EngineFixture.fivePoint.get(), descriptor: \.descriptor_5pt)
    }

    func testSixtyEightPointMatchesReference() throws {
        try checkAgainstReference(engine: EngineFixture.sixtyEightPoint.get(), descriptor: \.descriptor_68pt)
    }

    /// Same person < 0.6, different people > 0.6, for every pair of reference faces, with our
    /// descriptors, exactly as the reference's own distances classify them.
    func testPairwiseDistancesSeparatePeopleAsInReference() throws {
        let reference = try ReferenceFaces.load()
        for (engine, keyPath, label) in [
            (try EngineFixture.fivePoint.get(), \ReferenceFaces.Face.descriptor_5pt, "5pt"),
            (try EngineFixture.sixtyEightPoint.get(), \ReferenceFaces.Face.descriptor_68pt, "68pt"),
        ] {
            var ours: [(person: String, name: String, descriptor: FaceDescriptor, reference: [Float])] = []
            for photo in reference.images {
                let image = try EngineFixture.photo(photo.file)
                let described = try engine.analyze(image: image)
                XCTAssertEqual(described.count, photo.faces.count, "\(label) \(photo.file)")
                for (i, (face, ref)) in zip(described, photo.faces).enumerated() {
                    ours.append((ReferenceFaces.person(file: photo.file, face: i), "\(photo.file)#\(i)",
                                 face.descriptor, ref[keyPath: keyPath]))
                }
            }
            XCTAssertEqual(ours.count, 18, "every reference face present")
            var pairs = 0
            for a in 0..<ours.count {
                for b in (a + 1)..<ours.count {
                    let d = ours[a].descriptor.distance(to: ours[b].descriptor)
                    let refDistance = referenceDistance(ours[a].reference, ours[b].reference)
                    let same = ours[a].person == ours[b].person
                    let what = "\(label) \(ours[a].name)–\(ours[b].name): ours \(d), reference \(refDistance)"
                    XCTAssertEqual(refDistance < 0.6, same, "reference itself: " + what)
                    if same { XCTAssertLessThan(d, 0.6, what) } else { XCTAssertGreaterThan(d, 0.6, what) }
                    pairs += 1
                }
            }
            XCTAssertEqual(pairs, 18 * 17 / 2)
        }
    }

    private func checkAgainstReference(engine: FaceEngine, descriptor keyPath: KeyPath<ReferenceFaces.Face, [Float]>) throws {
        let reference = try ReferenceFaces.load()
        XCTAssertEqual(reference.images.count, 17)
        var worstBox = 0
        var worstDescriptor = 0.0
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            XCTAssertEqual(image.width, photo.width, photo.file)
            XCTAssertEqual(image.height, photo.height, photo.file)
            let faces = try engine.detect(image: image)
            guard faces.count == photo.faces.count else {
                XCTFail("\(photo.file): \(faces.count) faces, reference \(photo.faces.count)")
                continue
            }
            let descriptors = try engine.descriptors(for: faces, in: image)
            for (i, (face, ref)) in zip(zip(faces, descriptors), photo.faces).enumerated() {
                // face_recognition clips right/bottom to width/height, we to width-1/height-1:
                // the 2 px tolerance covers that one pixel at the edge.
                let box = face.0.box
                let boxError = [abs(box.top - ref.top), abs(box.right - ref.right),
                                abs(box.bottom - ref.bottom), abs(box.left - ref.left)].max()!
                worstBox = max(worstBox, boxError)
                XCTAssertLessThanOrEqual(boxError, boxTolerance, "\(photo.file)#\(i): box \(box), reference trbl \(ref.box_trbl)")
                let distance = referenceDistance(face.1.values, ref[keyPath: keyPath])
                worstDescriptor = max(worstDescriptor, distance)
                XCTAssertLessThan(distance, descriptorTolerance, "\(photo.file)#\(i): descriptor distance to reference")
            }
        }
        print("conformance \(engine.options.landmarks.rawValue)pt: worst box error \(worstBox) px, worst descriptor distance \(worstDescriptor)")
    }
}
