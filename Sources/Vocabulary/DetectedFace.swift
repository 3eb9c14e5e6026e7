/// One face a recognizer found in a frame: made once by the recognizer from the engine's
/// output, carried as is by the wire, judged as is by the broker.
public struct DetectedFace: Hashable, Sendable {
    public var box: FaceBox
    /// Landmark-based quality in [0, 1]; higher is a better-posed, larger face.
    public var quality: Float
    public var descriptor: FaceDescriptor
    /// The 68-point shape, present only when the broker asked for it (a lock on the camera
    /// judges liveness); the descriptor never depends on it.
    public var landmarks: FaceLandmarks?
    /// The aligned chip the descriptor was computed from, encoded (the broker keeps it with the
    /// face's audit row); nil when the recognizer made none.
    public var chip: FaceChip?

    /// `quality` defaults to a perfect face for callers that judge matching only.
    public init(box: FaceBox, quality: Float = 1, descriptor: FaceDescriptor, landmarks: FaceLandmarks? = nil,
                chip: FaceChip? = nil) {
        self.box = box
        self.quality = quality
        self.descriptor = descriptor
        self.landmarks = landmarks
        self.chip = chip
    }
}
