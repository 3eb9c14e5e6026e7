import Vocabulary

/// One face found in an image.
public struct FaceDetection: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public init(x: Int, y: Int) { self.x = x; self.y = y }
    }

    /// The face's box clipped to the image.
    public var box: FaceBox
    /// The box as the detector returned it; for a face cut by the image edge it extends past
    /// the edge. (Landmarks were fitted in this box trimmed to the image, as face_recognition
    /// does; descriptors depend only on the landmarks.)
    public var detectorBox: FaceBox
    /// HOG: SVM margin (> 0 is a detection, larger is surer). MMOD: CNN confidence.
    public var detectorScore: Double
    /// 5 or 68 (x, y) points in image pixels, in dlib's order for that model.
    public var landmarks: [Point]
    /// Distance in pixels between the two eye centres (mean of each eye's landmarks).
    public var interocularDistance: Double
    /// 0...1, see `FaceQuality`.
    public var quality: Double

    public init(box: FaceBox, detectorBox: FaceBox, detectorScore: Double, landmarks: [Point]) {
        self.box = box
        self.detectorBox = detectorBox
        self.detectorScore = detectorScore
        self.landmarks = landmarks
        let q = FaceQuality(landmarks: landmarks)
        interocularDistance = q.interocularDistance
        quality = q.score
    }
}
