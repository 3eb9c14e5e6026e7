/// One face found in an image.
public struct FaceDetection: Sendable, Equatable {
    /// A rectangle in image pixels, dlib's convention: `right` and `bottom` are the last
    /// pixel column/row inside it (so width = right - left + 1).
    public struct Box: Sendable, Equatable, CustomStringConvertible {
        public var left: Int
        public var top: Int
        public var right: Int
        public var bottom: Int

        public init(left: Int, top: Int, right: Int, bottom: Int) {
            self.left = left
            self.top = top
            self.right = right
            self.bottom = bottom
        }

        public var width: Int { right - left + 1 }
        public var height: Int { bottom - top + 1 }

        public var description: String { "(l \(left), t \(top), r \(right), b \(bottom))" }

        func clipped(width w: Int, height h: Int) -> Box {
            Box(left: max(left, 0), top: max(top, 0), right: min(right, w - 1), bottom: min(bottom, h - 1))
        }
    }

    public struct Point: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public init(x: Int, y: Int) { self.x = x; self.y = y }
    }

    /// The face's box clipped to the image.
    public var box: Box
    /// The box as the detector returned it; for a face cut by the image edge it extends past
    /// the edge. (Landmarks were fitted in this box trimmed to the image, as face_recognition
    /// does; descriptors depend only on the landmarks.)
    public var detectorBox: Box
    /// HOG: SVM margin (> 0 is a detection, larger is surer). MMOD: CNN confidence.
    public var detectorScore: Double
    /// 5 or 68 (x, y) points in image pixels, in dlib's order for that model.
    public var landmarks: [Point]
    /// Distance in pixels between the two eye centres (mean of each eye's landmarks).
    public var interocularDistance: Double
    /// 0...1, see `FaceQuality`.
    public var quality: Double

    public init(box: Box, detectorBox: Box, detectorScore: Double, landmarks: [Point]) {
        self.box = box
        self.detectorBox = detectorBox
        self.detectorScore = detectorScore
        self.landmarks = landmarks
        let q = FaceQuality(landmarks: landmarks)
        interocularDistance = q.interocularDistance
        quality = q.score
    }
}
