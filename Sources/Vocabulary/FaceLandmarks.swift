/// One landmark in pixels of the frame the face was found in (x across, y down). Float like the
/// descriptor: dlib places landmarks on whole pixels of the (possibly downscaled) detection
/// image, so 24 bits of mantissa lose nothing a frame can show.
public struct LandmarkPoint: Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Float
    public var y: Float

    public init(x: Float, y: Float) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(x), \(y))" }
}

/// dlib's 68-point face shape (`shape_predictor_68_face_landmarks.dat`, the iBUG 300-W
/// markup), in dlib's order. Left and right are the person's: the right eye (36–41) is the one
/// on the image's left in a frontal, unmirrored view.
///
/// Only finite coordinates can be represented, so the geometry that judges liveness never
/// meets a NaN that would compare as "no motion". Points may lie outside the frame (dlib
/// extrapolates the shape of a face cut by the image edge).
public struct FaceLandmarks: Hashable, Sendable, Codable {
    public static let count = 68

    /// The regions of the 68-point markup, as index ranges into `points`.
    public enum Region: CaseIterable, Sendable {
        case jaw, rightBrow, leftBrow, noseBridge, lowerNose, rightEye, leftEye, outerLips, innerLips

        public var indices: ClosedRange<Int> {
            switch self {
            case .jaw: 0...16
            case .rightBrow: 17...21
            case .leftBrow: 22...26
            case .noseBridge: 27...30
            case .lowerNose: 31...35
            case .rightEye: 36...41
            case .leftEye: 42...47
            case .outerLips: 48...59
            case .innerLips: 60...67
            }
        }
    }

    public let points: [LandmarkPoint]

    public init(_ points: [LandmarkPoint]) throws {
        guard points.count == Self.count else { throw FaceLandmarksError.wrongCount(points.count) }
        if let i = points.firstIndex(where: { !$0.x.isFinite || !$0.y.isFinite }) {
            throw FaceLandmarksError.nonFinite(index: i)
        }
        self.points = points
    }

    public subscript(index: Int) -> LandmarkPoint { points[index] }

    public subscript(region: Region) -> ArraySlice<LandmarkPoint> { points[region.indices] }

    public init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode([LandmarkPoint].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(points)
    }
}

public enum FaceLandmarksError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongCount(Int)
    case nonFinite(index: Int)

    public var description: String {
        switch self {
        case let .wrongCount(n): "face landmarks have \(n) points, expected \(FaceLandmarks.count)"
        case let .nonFinite(i): "face landmark \(i) has a coordinate that is not a finite number"
        }
    }
}
