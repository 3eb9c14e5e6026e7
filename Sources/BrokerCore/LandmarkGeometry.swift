import Vocabulary

/// The measurements liveness is judged on, from 68-point landmark sets (`FaceLandmarks`).
///
/// Lengths are in **eye distances**: the distance between the outer eye corners (points 36 and
/// 45), about 9 cm on an adult face. A threshold in these units means the same at 1 m and at
/// 3 m from the camera.
public enum LandmarkGeometry {
    /// Outer eye corners and the outer nose wings: four rigid points, no three on a line on any
    /// face, that fix each frame's projective frame (see `planarResidual`).
    static let basis = [36, 45, 31, 35]
    /// Where the basis goes: roughly a frontal face, eye distance 1.
    static let canonicalBasis: [SIMD2<Double>] = [SIMD2(-0.5, 0), SIMD2(0.5, 0), SIMD2(-0.17, 0.5), SIMD2(0.17, 0.5)]
    /// Points that do not move with expression or blinks (jaw, nose, inner eye corners), except
    /// the basis. Lips, brows and eyelids would add motion a photo can fake by nothing, but
    /// also noise a live face shows without turning.
    static let rigid: [Int] = Array(0...16) + [27, 28, 29, 30, 32, 33, 34, 39, 42]
    /// A frame whose rigid points land further than this from the basis, in eye distances, is
    /// not a face shape (a near-degenerate basis would blow the residual up and fake parallax).
    static let canonicalBound = 4.0

    /// Outer eye corner to outer eye corner, in pixels.
    public static func eyeDistance(_ l: FaceLandmarks) -> Double {
        length(point(l, 36) - point(l, 45))
    }

    /// Eye aspect ratio (Soukupová & Čech, 2016), the mean over both eyes: eyelid opening over
    /// eye width, about 0.3 for an open eye and towards 0 for a closed one, whatever the face
    /// size or its position in the frame. Nil when an eye has no width.
    public static func eyeAspectRatio(_ l: FaceLandmarks) -> Double? {
        func eye(_ e: Int) -> Double? {
            let p = (0..<6).map { point(l, e + $0) }
            let width = length(p[0] - p[3])
            guard width > 1e-9 else { return nil }
            return (length(p[1] - p[5]) + length(p[2] - p[4])) / (2 * width)
        }
        guard let right = eye(36), let left = eye(42) else { return nil }
        return (right + left) / 2
    }

    /// How far the rigid points moved from `a` to `b` beyond what sliding, turning in the image
    /// plane and zooming explain (the RMS residual of the best similarity), in eye distances.
    ///
    /// Such motions show no depth whatever is in front of the camera, so this is the motion a
    /// planarity judgement can use: a head turning or nodding, or a photo tilted, gives it; a
    /// still face or a photo slid across the lens does not. Nil when a frame has no eye distance.
    public static func nonSimilarMotion(_ a: FaceLandmarks, _ b: FaceLandmarks) -> Double? {
        let scale = (eyeDistance(a) + eyeDistance(b)) / 2
        guard scale > 1e-9 else { return nil }
        let indices = rigid + basis
        let pa = indices.map { point(a, $0) }, pb = indices.map { point(b, $0) }
        return similarityResidual(pa, pb) / scale
    }

    /// How badly one plane explains the rigid points of `a` and `b`, in eye distances: the RMS
    /// reprojection residual of the best homography (normalized DLT) between them. About 0 for a
    /// photo however it was moved, tilted or zoomed; larger for a head that turned, since the
    /// nose stands out from the cheeks and the jaw line is a silhouette. Nil when a frame's
    /// landmarks are not a usable face shape.
    ///
    /// Each frame is first mapped into its own projective frame, the homography taking its
    /// basis points (`basis`) to fixed places (`canonicalBasis`); the homography between the two
    /// frames is fitted there and the residual measured there. A homography applied to a frame's
    /// points changes that map by exactly its inverse, so the result is the same, to rounding,
    /// whatever homography moved either frame's points: pixel distances, which a tilt stretches
    /// more on one side than the other, would not be.
    public static func planarResidual(_ a: FaceLandmarks, _ b: FaceLandmarks) -> Double? {
        guard let ca = CanonicalShape(a), let cb = CanonicalShape(b) else { return nil }
        return planarResidual(ca, cb)
    }

    static func planarResidual(_ a: CanonicalShape, _ b: CanonicalShape) -> Double? {
        guard let k = Homography.fit(from: a.points, to: b.points) else { return nil }
        var sum = 0.0
        for (p, q) in zip(a.points, b.points) {
            guard let m = k.apply(p) else { return nil }
            sum += ((m - q) * (m - q)).sum()
        }
        return (sum / Double(a.points.count)).squareRoot()
    }

    /// The rigid points of one frame in its own projective frame.
    struct CanonicalShape {
        let points: [SIMD2<Double>]

        init?(_ l: FaceLandmarks) {
            guard let c = Homography.fit(from: basis.map { point(l, $0) }, to: canonicalBasis) else { return nil }
            var points: [SIMD2<Double>] = []
            points.reserveCapacity(rigid.count)
            for i in rigid {
                guard let p = c.apply(point(l, i)), abs(p.x) <= canonicalBound, abs(p.y) <= canonicalBound else { return nil }
                points.append(p)
            }
            self.points = points
        }
    }

    static func point(_ l: FaceLandmarks, _ i: Int) -> SIMD2<Double> {
        SIMD2(Double(l[i].x), Double(l[i].y))
    }

    static func length(_ v: SIMD2<Double>) -> Double { (v * v).sum().squareRoot() }

    /// RMS residual, in the units of `b`, of the least-squares similarity (rotation, uniform
    /// scale, translation) taking `a` onto `b`: Procrustes in complex form, w = Σ conj(a)·b / Σ|a|².
    static func similarityResidual(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>]) -> Double {
        let n = Double(a.count)
        let ca = a.reduce(SIMD2<Double>.zero, +) / n, cb = b.reduce(SIMD2<Double>.zero, +) / n
        var re = 0.0, im = 0.0, norm = 0.0
        for (p, q) in zip(a, b) {
            let x = p - ca, y = q - cb
            re += x.x * y.x + x.y * y.y
            im += x.x * y.y - x.y * y.x
            norm += (x * x).sum()
        }
        let wr = norm > 0 ? re / norm : 0, wi = norm > 0 ? im / norm : 0
        var sum = 0.0
        for (p, q) in zip(a, b) {
            let x = p - ca, y = q - cb
            let m = SIMD2(wr * x.x - wi * x.y, wi * x.x + wr * x.y)
            sum += ((m - y) * (m - y)).sum()
        }
        return (sum / n).squareRoot()
    }
}
