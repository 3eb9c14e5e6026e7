import BrokerCore
import Vocabulary
import XCTest

/// Grouping unknown faces: linked exactly when the matcher would take one for the other,
/// groups closed under links, the same groups whatever the order.
final class FaceClustersTests: XCTestCase {
    private func point(_ x: Float, _ y: Float = 0) -> FaceDescriptor {
        var v = [Float](repeating: 0, count: FaceDescriptor.dimension)
        v[0] = x
        v[1] = y
        return try! FaceDescriptor(v)
    }

    /// Whether `Gallery.match` takes face `a` for a member enrolled with face `b` alone.
    private func matcherLinks(_ a: FaceDescriptor, _ b: FaceDescriptor, threshold: Double) -> Bool {
        let gallery = Gallery(members: [Gallery.Member(id: MemberID(1), name: "b", descriptors: [b], grants: [])])
        if case .matched = gallery.match(a, threshold: threshold, margin: 0) { return true }
        return false
    }

    /// Groups by relabelling to a fixed point: every linked pair takes the smaller label.
    private func referenceGroups(count n: Int, linked: (Int, Int) -> Bool) -> [[Int]] {
        var label = Array(0..<n)
        var changed = true
        while changed {
            changed = false
            for i in 0..<n {
                for j in 0..<n where i != j && linked(i, j) && label[j] > label[i] {
                    label[j] = label[i]
                    changed = true
                }
            }
        }
        let roots = label.enumerated().filter { $0.offset == $0.element }.map(\.offset)
        return roots.map { r in (0..<n).filter { label[$0] == r } }
    }

    func testEveryPlacementOfUpToFiveFacesOnAGridGroupsAsTheMatcherLinksThem() {
        // 3×2 positions 0.4 apart at threshold 0.5: neighbours in a row or column link (0.4),
        // diagonal ones do not (0.57), so placements make paths, branches, a cycle, islands
        // and faces on the same spot.
        let positions = (0..<6).map { point(Float($0 % 3) * 0.4, Float($0 / 3) * 0.4) }
        let threshold = 0.5
        let links = positions.map { a in positions.map { b in matcherLinks(a, b, threshold: threshold) } }
        XCTAssertEqual(links.flatMap { $0 }.filter { $0 }.count, 6 + 14, "each with itself, and 7 neighbour pairs both ways")
        var placements = 0
        for n in 0...5 {
            var digits = [Int](repeating: 0, count: n)
            repeat {
                let faces = digits.map { positions[$0] }
                let expected = referenceGroups(count: n) { links[digits[$0]][digits[$1]] }
                XCTAssertEqual(FaceClusters.group(faces, threshold: threshold), expected, "placement \(digits)")
                placements += 1
            } while Self.advance(&digits, base: positions.count)
        }
        XCTAssertEqual(placements, 1 + 6 + 36 + 216 + 1_296 + 7_776)
    }

    func testTheSameGroupsWhateverTheOrderOfTheFaces() {
        // A chain of three, a pair, and a loner: every ordering of the six.
        let faces = [point(0), point(0.45), point(0.9), point(5), point(5.3), point(10)]
        let expected: Set<Set<Int>> = [[0, 1, 2], [3, 4], [5]]
        var permutations = 0
        Self.permute(Array(0..<6)) { order in
            let groups = FaceClusters.group(order.map { faces[$0] }, threshold: 0.5)
            XCTAssertEqual(Set(groups.map { Set($0.map { order[$0] }) }), expected, "order \(order)")
            XCTAssertEqual(groups.map { $0.first! }, groups.map { $0.min()! }.sorted(), "groups ordered by first index")
            XCTAssertTrue(groups.allSatisfy { $0 == $0.sorted() })
            permutations += 1
        }
        XCTAssertEqual(permutations, 720)
    }

    func testADistanceEqualToTheThresholdLinksAsInTheMatcher() {
        let a = point(0), b = point(0.5)
        XCTAssertTrue(matcherLinks(a, b, threshold: 0.5))
        XCTAssertEqual(FaceClusters.group([a, b], threshold: 0.5), [[0, 1]])
        XCTAssertFalse(matcherLinks(a, b, threshold: 0.5.nextDown))
        XCTAssertEqual(FaceClusters.group([a, b], threshold: 0.5.nextDown), [[0], [1]])
        // A Float threshold is its exact Double value.
        XCTAssertEqual(FaceClusters.group([a, b], threshold: Float(0.5)), [[0, 1]])
        XCTAssertEqual(FaceClusters.group([a, b], threshold: Float(0.5).nextDown), [[0], [1]])
    }

    func testChainsJoinAndEdgeCases() {
        // Single linkage: 0 and 2 are 0.9 apart, joined through 1.
        XCTAssertEqual(FaceClusters.group([point(0), point(0.9), point(0.45)], threshold: 0.5), [[0, 1, 2]])
        XCTAssertEqual(FaceClusters.group([], threshold: 0.5), [])
        XCTAssertEqual(FaceClusters.group([point(1)], threshold: 0.5), [[0]])
        XCTAssertEqual(FaceClusters.group([point(1), point(1)], threshold: 0.0), [[0, 1]], "identical faces always group")
        XCTAssertEqual(FaceClusters.group([point(3), point(0), point(3), point(0)], threshold: 0.5), [[0, 2], [1, 3]])
    }

    /// Counts `digits` up in `base`; false after the last combination.
    private static func advance(_ digits: inout [Int], base: Int) -> Bool {
        for i in digits.indices.reversed() {
            digits[i] += 1
            if digits[i] < base { return true }
            digits[i] = 0
        }
        return false
    }

    private static func permute(_ items: [Int], prefix: [Int] = [], _ body: ([Int]) -> Void) {
        if items.isEmpty { return body(prefix) }
        for (i, item) in items.enumerated() {
            var rest = items
            rest.remove(at: i)
            permute(rest, prefix: prefix + [item], body)
        }
    }
}
