/// A landmark-based quality score: is the face big enough and frontal enough to trust its
/// descriptor?
///
/// - size: the inter-ocular distance (IOD) in image pixels. dlib's descriptor is computed on
///   a 150 px chip; below ~40 px IOD the chip is upscaled from too few pixels and distances
///   to the gallery grow. `size = min(1, IOD / 40)`.
/// - frontality: where the nose (5-point: point 4 below the nose; 68-point: point 33) falls
///   along the line between the eye centres. Frontal faces put it near the middle (t ≈ 0.5);
///   a turned head moves it towards one eye. `frontality = max(0, 1 - 2 |t - 0.5|)`.
///
/// `score = size * frontality`. A heuristic for ranking frames and warning at enrollment,
/// not a calibrated probability.
public struct FaceQuality: Sendable, Equatable {
    public static let fullSizeInterocularDistance = 40.0

    public let interocularDistance: Double
    public let frontality: Double
    public let score: Double

    public init(landmarks: [FaceDetection.Point]) {
        let eyes: (Range<Int>, Range<Int>)
        let nose: Int
        switch landmarks.count {
        case 5: eyes = (0..<2, 2..<4); nose = 4
        case 68: eyes = (36..<42, 42..<48); nose = 33
        default:
            interocularDistance = 0; frontality = 0; score = 0
            return
        }
        func centre(_ r: Range<Int>) -> (Double, Double) {
            let n = Double(r.count)
            return (r.reduce(0.0) { $0 + Double(landmarks[$1].x) } / n, r.reduce(0.0) { $0 + Double(landmarks[$1].y) } / n)
        }
        let a = centre(eyes.0), b = centre(eyes.1)
        let dx = b.0 - a.0, dy = b.1 - a.1
        let iod = (dx * dx + dy * dy).squareRoot()
        interocularDistance = iod
        guard iod > 0 else { frontality = 0; score = 0; return }
        let n = landmarks[nose]
        let t = ((Double(n.x) - a.0) * dx + (Double(n.y) - a.1) * dy) / (iod * iod)
        frontality = max(0, 1 - 2 * abs(t - 0.5))
        score = min(1, iod / Self.fullSizeInterocularDistance) * frontality
    }
}
