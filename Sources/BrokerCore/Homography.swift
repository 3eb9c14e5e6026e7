/// A plane-to-plane projective map: what moving, tilting or zooming a flat picture in front of a
/// pinhole camera does to every point of it, frame to frame.
///
/// Row-major 3x3, scaled to unit Frobenius norm (a homography is defined up to scale).
public struct Homography: Hashable, Sendable {
    public let matrix: [Double]

    /// `matrix`: 9 values, row-major. Nil when not finite or singular (not a plane-to-plane map).
    public init?(_ matrix: [Double]) {
        guard matrix.count == 9, matrix.allSatisfy(\.isFinite) else { return nil }
        let norm = matrix.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return nil }
        let m = matrix.map { $0 / norm }
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
        guard abs(det) > 1e-12 else { return nil }
        self.matrix = m
    }

    public static let identity = Homography([1, 0, 0, 0, 1, 0, 0, 0, 1])!

    /// The image of `p`; nil when `p` maps to (or near) the line at infinity.
    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double>? {
        let m = matrix
        let w = m[6] * p.x + m[7] * p.y + m[8]
        let x = m[0] * p.x + m[1] * p.y + m[2]
        let y = m[3] * p.x + m[4] * p.y + m[5]
        guard abs(w) > 1e-12 * (abs(x) + abs(y) + abs(w)) else { return nil }
        return SIMD2(x / w, y / w)
    }

    /// `self` after `first`: p ↦ self(first(p)).
    public func after(_ first: Homography) -> Homography? {
        let a = matrix, b = first.matrix
        var c = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for k in 0..<3 { for j in 0..<3 { c[r * 3 + j] += a[r * 3 + k] * b[k * 3 + j] } } }
        return Homography(c)
    }

    /// Least-squares fit of the map taking `from[i]` to `to[i]`: the normalized DLT (Hartley &
    /// Zisserman, Algorithm 4.2). Each point set is first moved to its centroid and scaled to a
    /// mean distance of √2, which makes the solution independent of where in the frame and at
    /// what size the face is; the algebraic system is then solved by SVD.
    ///
    /// Nil with fewer than 4 correspondences, mismatched counts, non-finite points, or points
    /// that do not determine a single map (e.g. three of four collinear).
    public static func fit(from: [SIMD2<Double>], to: [SIMD2<Double>]) -> Homography? {
        let n = from.count
        guard n >= 4, to.count == n,
              from.allSatisfy({ $0.x.isFinite && $0.y.isFinite }), to.allSatisfy({ $0.x.isFinite && $0.y.isFinite }),
              let ta = normalizing(from), let tb = normalizing(to) else { return nil }
        var rows: [[Double]] = []
        rows.reserveCapacity(2 * n)
        for i in 0..<n {
            let p = ta.scale * (from[i] - ta.centroid), q = tb.scale * (to[i] - tb.centroid)
            rows.append([-p.x, -p.y, -1, 0, 0, 0, q.x * p.x, q.x * p.y, q.x])
            rows.append([0, 0, 0, -p.x, -p.y, -1, q.y * p.x, q.y * p.y, q.y])
        }
        // 4 points give 8 equations for 9 unknowns: the system is padded with a zero row so the
        // solver always sees at least as many rows as columns.
        while rows.count < 9 { rows.append([Double](repeating: 0, count: 9)) }
        let svd = RightSingularVectors(rows)
        // A second (near-)zero singular value means a family of maps fits: not determined.
        let order = svd.values.indices.sorted { svd.values[$0] < svd.values[$1] }
        guard let largest = svd.values.max(), largest > 0, svd.values[order[1]] > 1e-9 * largest else { return nil }
        let hn = svd.vector(order[0])
        // H = Tb⁻¹ · Hn · Ta
        let ta3: [Double] = [ta.scale, 0, -ta.scale * ta.centroid.x, 0, ta.scale, -ta.scale * ta.centroid.y, 0, 0, 1]
        let tbInv: [Double] = [1 / tb.scale, 0, tb.centroid.x, 0, 1 / tb.scale, tb.centroid.y, 0, 0, 1]
        guard let hnMap = Homography(hn), let a = Homography(ta3), let bInv = Homography(tbInv),
              let partial = hnMap.after(a) else { return nil }
        return bInv.after(partial)
    }

    private static func normalizing(_ points: [SIMD2<Double>]) -> (centroid: SIMD2<Double>, scale: Double)? {
        let c = points.reduce(SIMD2<Double>.zero, +) / Double(points.count)
        let meanDistance = points.reduce(0) { $0 + (($1 - c) * ($1 - c)).sum().squareRoot() } / Double(points.count)
        guard meanDistance > 0, meanDistance.isFinite else { return nil }
        return (c, 2.0.squareRoot() / meanDistance)
    }
}

/// Singular values and right singular vectors of a matrix with at least as many rows as
/// columns, by one-sided Jacobi rotations (Hestenes). Slower than Golub–Kahan for big matrices
/// but short, and accurate to the last bits for the 9 columns a homography needs; it works on
/// the matrix itself rather than AᵀA, so it does not square the condition number.
struct RightSingularVectors {
    let columns: Int
    /// `values[j]` is the singular value whose right singular vector is column `j` of `v`.
    private(set) var values: [Double]
    /// Row-major `columns` x `columns`.
    private var v: [Double]

    /// `a`: the rows, each `columns` long.
    init(_ a: [[Double]]) {
        let n = a.first?.count ?? 0
        columns = n
        // Column-major, so each rotation walks two contiguous runs.
        var u = [Double](repeating: 0, count: a.count * n)
        for (i, row) in a.enumerated() { for j in 0..<n { u[j * a.count + i] = row[j] } }
        // R of A = QR has A's singular values and right singular vectors in only n rows: the
        // rotations then walk 9 numbers instead of 2 per point.
        let m = min(a.count, n)
        if a.count > n { u = Self.triangularFactor(u, rows: a.count, columns: n) }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        // A column this small is zero to rounding (the null vector of an exact fit): turning it
        // against another changes nothing but would never look converged.
        let negligible = 1e-30 * u.reduce(0) { $0 + $1 * $1 }
        u.withUnsafeMutableBufferPointer { u in
            v.withUnsafeMutableBufferPointer { v in
                for _ in 0..<60 {
                    var rotated = false
                    for p in 0..<n {
                        for q in (p + 1)..<n {
                            var alpha = 0.0, beta = 0.0, gamma = 0.0
                            for k in 0..<m {
                                let x = u[p * m + k], y = u[q * m + k]
                                alpha += x * x; beta += y * y; gamma += x * y
                            }
                            // Orthogonal to rounding: a dot product of m terms is only good to ~m ulps.
                            guard gamma != 0, alpha > negligible, beta > negligible,
                                  abs(gamma) > 1e-13 * (alpha * beta).squareRoot() else { continue }
                            rotated = true
                            let zeta = (beta - alpha) / (2 * gamma)
                            let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                            let c = 1 / (1 + t * t).squareRoot(), s = c * t
                            for k in 0..<m {
                                let x = u[p * m + k], y = u[q * m + k]
                                u[p * m + k] = c * x - s * y; u[q * m + k] = s * x + c * y
                            }
                            for k in 0..<n {
                                let x = v[k * n + p], y = v[k * n + q]
                                v[k * n + p] = c * x - s * y; v[k * n + q] = s * x + c * y
                            }
                        }
                    }
                    if !rotated { break }
                }
            }
        }
        values = (0..<n).map { j in (0..<m).reduce(0.0) { $0 + u[j * m + $1] * u[j * m + $1] }.squareRoot() }
        self.v = v
    }

    func vector(_ j: Int) -> [Double] { (0..<columns).map { v[$0 * columns + j] } }

    /// The `columns` x `columns` upper-triangular R of a Householder QR of the column-major
    /// `rows` x `columns` matrix `a`, column-major.
    private static func triangularFactor(_ a: [Double], rows m: Int, columns n: Int) -> [Double] {
        var a = a
        var r = [Double](repeating: 0, count: n * n)
        a.withUnsafeMutableBufferPointer { a in
            var h = [Double](repeating: 0, count: m)
            for k in 0..<n {
                var norm = 0.0
                for i in k..<m { norm += a[k * m + i] * a[k * m + i] }
                norm = norm.squareRoot()
                guard norm > 0 else { continue }
                let alpha = a[k * m + k] > 0 ? -norm : norm
                var hh = 0.0
                for i in k..<m { h[i] = a[k * m + i]; if i == k { h[i] -= alpha }; hh += h[i] * h[i] }
                guard hh > 0 else { continue }
                for j in k..<n {
                    var dot = 0.0
                    for i in k..<m { dot += h[i] * a[j * m + i] }
                    let f = 2 * dot / hh
                    for i in k..<m { a[j * m + i] -= f * h[i] }
                }
            }
            for j in 0..<n { for i in 0...j { r[j * n + i] = a[j * m + i] } }
        }
        return r
    }
}
