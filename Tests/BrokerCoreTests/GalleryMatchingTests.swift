import BrokerCore
import Foundation
import Vocabulary
import XCTest

/// Nearest-member matching: threshold, margin against the best *other* member, ties.
final class GalleryMatchingTests: XCTestCase {
    typealias C = Cast

    private func member(_ id: Int64, _ name: String, _ descriptors: [FaceDescriptor]) -> Gallery.Member {
        Gallery.Member(id: MemberID(id), name: name, descriptors: descriptors, grants: [])
    }

    func testNearestOverEveryDescriptorOfEveryMember() {
        // obama's second descriptor is the close one.
        let g = Gallery(members: [member(1, "obama", [C.vector([(5, 0.5)]), C.vector([(0, 0.5)])]),
                                  member(2, "biden", [C.bidenEnrolled])])
        guard case let .matched(best, runnerUp) = g.match(C.obamaShown, threshold: 0.5, margin: 0.05) else {
            return XCTFail()
        }
        XCTAssertEqual(best.member.name, "obama")
        XCTAssertEqual(best.distance, 0.3, accuracy: 1e-6)
        XCTAssertEqual(runnerUp?.member.name, "biden")
        XCTAssertEqual(g.descriptorCount, 3)
    }

    func testThreshold() {
        let g = Gallery(members: [member(1, "obama", [C.obamaEnrolled])])
        XCTAssertEqual(g.match(C.obamaShown, threshold: 0.3001, margin: 0).memberName, "obama")
        guard case let .unknown(nearest) = g.match(C.obamaShown, threshold: 0.2999, margin: 0) else { return XCTFail() }
        XCTAssertEqual(nearest?.member.name, "obama")
    }

    func testMarginIsAgainstOtherMembersNotTheSameMember() {
        // Two photos of obama almost equally close: not ambiguous.
        let g = Gallery(members: [member(1, "obama", [C.obamaEnrolled, C.vector([(0, 0.5), (3, 0.01)])]),
                                  member(2, "biden", [C.bidenEnrolled])])
        XCTAssertEqual(g.match(C.obamaShown, threshold: 0.5, margin: 0.2).memberName, "obama")
    }

    func testWithinMarginOfAnotherMemberIsAmbiguous() {
        let g = Gallery(members: [member(1, "a", [C.vector([(0, 0.5)])]), member(2, "b", [C.vector([(0, 0.5), (9, 0.2)])])])
        // Probe at 0.3 from a; b is sqrt(0.3^2 + 0.2^2) = 0.361 away: gap 0.061.
        guard case let .ambiguous(best, other) = g.match(C.obamaShown, threshold: 0.5, margin: 0.07) else { return XCTFail() }
        XCTAssertEqual(best.member.name, "a")
        XCTAssertEqual(other.member.name, "b")
        XCTAssertEqual(g.match(C.obamaShown, threshold: 0.5, margin: 0.06).memberName, "a")
    }

    func testExactTieIsAmbiguousEvenWithZeroMargin() {
        let g = Gallery(members: [member(1, "a", [C.obamaEnrolled]), member(2, "b", [C.obamaEnrolled])])
        guard case .ambiguous = g.match(C.obamaShown, threshold: 0.5, margin: 0) else { return XCTFail() }
    }

    func testMarginAppliesEvenWhenTheOtherIsBeyondTheThreshold() {
        let g = Gallery(members: [member(1, "a", [C.obamaEnrolled]), member(2, "b", [C.vector([(0, 0.5), (100, 0.62)])])])
        // a at 0.3 (match), b at 0.32 (over threshold 0.31 but within margin 0.05).
        guard case .ambiguous = g.match(C.obamaShown, threshold: 0.31, margin: 0.05) else { return XCTFail() }
    }

    func testMemberWithoutDescriptorsNeverMatchesAndEmptyGalleryIsUnknown() {
        let g = Gallery(members: [member(1, "nobody", [])])
        XCTAssertEqual(g.match(C.obamaShown, threshold: 10, margin: 0), .unknown(nearest: nil))
        XCTAssertEqual(Gallery.empty.match(C.obamaShown, threshold: 10, margin: 0), .unknown(nearest: nil))
    }
}

/// The same matching on dlib's own descriptors for the reference photos (faces/reference.json).
final class RealDescriptorTests: XCTestCase {
    private struct Reference: Decodable {
        struct Image: Decodable {
            struct Face: Decodable { var descriptor_5pt: [Float] }
            var file: String
            var faces: [Face]
        }
        var images: [Image]
    }

    private func descriptors() throws -> [String: [FaceDescriptor]] {
        let url = sharedDirectory.appendingPathComponent("faces/reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        var result: [String: [FaceDescriptor]] = [:]
        for image in reference.images { result[image.file] = try image.faces.map { try FaceDescriptor($0.descriptor_5pt) } }
        return result
    }

    func testScenarioCastMatchesAsTheScenariosExpect() throws {
        let d = try descriptors()
        let obama = Gallery.Member(id: MemberID(1), name: "obama", descriptors: [d["obama.jpg"]![0]], grants: [])
        let biden = Gallery.Member(id: MemberID(2), name: "biden", descriptors: [d["biden.jpg"]![0]], grants: [])
        let g = Gallery(members: [obama, biden])
        let m = EngineConfiguration.Matching()
        for photo in ["obama1.jpg", "obama2.jpg", "obama3.jpg"] {
            XCTAssertEqual(g.match(d[photo]![0], threshold: m.threshold, margin: m.margin).memberName, "obama", photo)
        }
        XCTAssertEqual(g.match(d["biden2.jpg"]![0], threshold: m.threshold, margin: m.margin).memberName, "biden")
        for stranger in ["lin-manuel-miranda.png", "alex-lacamoire.png", "alex-lacamoire2.jpg"] {
            guard case .unknown = g.match(d[stranger]![0], threshold: m.threshold, margin: m.margin) else {
                return XCTFail("\(stranger) matched someone")
            }
        }
        // S18: obama enrolled twice under two names is ambiguous.
        let twin = Gallery.Member(id: MemberID(3), name: "barack", descriptors: [d["obama1.jpg"]![0]], grants: [])
        guard case .ambiguous = Gallery(members: [obama, twin, biden]).match(d["obama2.jpg"]![0], threshold: m.threshold,
                                                                            margin: m.margin) else {
            return XCTFail("obama and barack should be ambiguous")
        }
        let sameImage = Gallery.Member(id: MemberID(3), name: "barack", descriptors: [d["obama.jpg"]![0]], grants: [])
        guard case .ambiguous = Gallery(members: [obama, sameImage]).match(d["obama2.jpg"]![0], threshold: m.threshold,
                                                                          margin: m.margin) else {
            return XCTFail("the same photo under two names should be ambiguous")
        }
    }
}

extension MatchResult {
    var memberName: String? {
        if case let .matched(best, _) = self { return best.member.name }
        return nil
    }
}
