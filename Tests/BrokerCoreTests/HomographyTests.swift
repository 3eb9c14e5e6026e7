import BrokerCore
import XCTest

/// The normalized DLT behind the planar check, on exact and degenerate correspondences.
final class HomographyTests: XCTestCase {
    private func randomPoints(_ n: Int, _ rng: inout SeededGenerator) -> [SIMD2<Double>] {
        (0..<n).map { _ in SIMD2(Double.random(in: 0...640, using: &rng), Double.random(in: 0...480, using: &rng)) }
    }

    func testFitRecoversAHomographyFromExactCorrespondences() {
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<300 {
            let h = randomHomography(&rng)
            let from = randomPoints(Int.random(in: 4...40, using: &rng), &rng)
            let to = apply(h, from)
            guard let fitted = Homography.fit(from: from, to: to) else { return XCTFail("trial \(trial): no fit for \(from.count) points") }
            for (p, q) in zip(from, to) {
                let m = fitted.apply(p)!
                XCTAssertLessThan((m - q).magnitude, 1e-6, "trial \(trial): \(p) maps to \(m), expected \(q)")
            }
            // The same map up to sign (both are scaled to unit norm).
            let sign = zip(fitted.matrix, h.matrix).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1.0 : 1.0
            for (a, b) in zip(fitted.matrix, h.matrix) { XCTAssertEqual(sign * a, b, accuracy: 1e-8, "trial \(trial)") }
        }
    }

    func testFitOfNoisyCorrespondencesLeavesAResidualOfTheNoise() {
        var rng = SeededGenerator(seed: 12)
        let h = randomHomography(&rng)
        let from = randomPoints(60, &rng)
        let to = jittered(apply(h, from), sigma: 1, &rng)
        let fitted = Homography.fit(from: from, to: to)!
        let rms = (zip(from, to).reduce(0) { $0 + (fitted.apply($1.0)! - $1.1).magnitudeSquared } / 60).squareRoot()
        // Least squares on 2·60 equations with 8 unknowns: a little below the noise's 1.41 px.
        XCTAssertGreaterThan(rms, 0.9)
        XCTAssertLessThan(rms, 1.5)
    }

    func testFitRefusesCorrespondencesThatDoNotDetermineOneMap() {
        let square: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(100, 0), SIMD2(100, 100), SIMD2(0, 100)]
        XCTAssertNotNil(Homography.fit(from: square, to: square))
        XCTAssertNil(Homography.fit(from: Array(square.prefix(3)), to: Array(square.prefix(3))), "3 points")
        XCTAssertNil(Homography.fit(from: square, to: Array(square.prefix(3))), "mismatched counts")
        let threeOnALine: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(50, 0), SIMD2(100, 0), SIMD2(0, 100)]
        XCTAssertNil(Homography.fit(from: threeOnALine, to: square), "three of four collinear")
        let allOnALine = (0..<10).map { SIMD2(Double($0) * 10, Double($0) * 5) }
        XCTAssertNil(Homography.fit(from: allOnALine, to: allOnALine), "all collinear")
        let same = [SIMD2<Double>](repeating: SIMD2(5, 5), count: 6)
        XCTAssertNil(Homography.fit(from: same, to: same), "one point repeated")
        var nan = square
        nan[2] = SIMD2(.nan, 0)
        XCTAssertNil(Homography.fit(from: nan, to: square), "not finite")
    }

    func testConstructionRefusesSingularAndNonFiniteMatrices() {
        XCTAssertNil(Homography([1, 2, 3, 2, 4, 6, 0, 0, 1]), "rank 2")
        XCTAssertNil(Homography([1, 0, 0, 0, 1, 0, 0, 0, .infinity]))
        XCTAssertNil(Homography([1, 0, 0, 0, 1, 0, 0, 0]), "8 values")
        let swap = Homography([0, 0, 1, 0, 1, 0, 1, 0, 0])! // w = x
        XCTAssertNil(swap.apply(SIMD2(0, 5)), "a point sent to infinity has no image")
        XCTAssertEqual(swap.apply(SIMD2(2, 4)), SIMD2(0.5, 2))
    }
}
