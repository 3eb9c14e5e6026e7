/// `[recognizer]`: how faces are found and described (dlib).
public struct RecognizerSettings: Equatable, Sendable {
    public enum Detector: String, Sendable { case hog, mmod }

    /// Holds `shape_predictor_5_face_landmarks.dat`, `dlib_face_recognition_resnet_model_v1.dat`, ...
    public var modelsDirectory: String
    public var detector: Detector
    /// Image pyramid-ups before detection (1 finds faces down to about 40 px).
    public var upsample: Int
    /// Landmark model: 5 or 68 points.
    public var landmarks: Int
    /// Frames wider than this are scaled down before detection; 0 = never.
    public var maxDetectWidth: Int
    /// Worker threads per recognizer process.
    public var threads: Int
    /// Photos (`facegate faces enroll|check`) with more pixels than this are refused from
    /// their header, before decoding: decoding takes 3 bytes a pixel and more.
    public var maxPhotoPixels: Int = RecognizerSettings.defaultMaxPhotoPixels

    /// 16 MP: a 12 MP camera's photos with room to spare (about 48 MB decoded).
    public static let defaultMaxPhotoPixels = 16_000_000

    public init(modelsDirectory: String = "/var/lib/facegate/models", detector: Detector = .hog, upsample: Int = 1,
                landmarks: Int = 5, maxDetectWidth: Int = 640, threads: Int = 1) {
        self.modelsDirectory = modelsDirectory
        self.detector = detector
        self.upsample = upsample
        self.landmarks = landmarks
        self.maxDetectWidth = maxDetectWidth
        self.threads = threads
    }

    /// The descriptor network every configuration uses, as enrolled faces record it.
    public static let descriptorModel = "dlib_face_recognition_resnet_model_v1"

    /// How descriptors are made under these settings, as enrolled faces and kept crops record
    /// it: `hog upsample=1 landmarks=5`.
    public var detectorDescription: String { "\(detector.rawValue) upsample=\(upsample) landmarks=\(landmarks)" }

    init(_ reader: TableReader) {
        let defaults = RecognizerSettings()
        modelsDirectory = reader.nonEmptyString("models_dir") ?? defaults.modelsDirectory
        detector = Detector(rawValue: reader.choice("detector", ["hog", "mmod"], default: "hog")) ?? .hog
        upsample = reader.int("upsample", default: defaults.upsample, in: 0...3)
        landmarks = reader.int("landmarks", default: defaults.landmarks, in: Int.min...Int.max)
        if landmarks != 5 && landmarks != 68 {
            reader.problem("landmarks", "must be 5 or 68, not \(landmarks)")
            landmarks = defaults.landmarks
        }
        maxDetectWidth = reader.int("max_detect_width", default: defaults.maxDetectWidth, in: 0...16384)
        if maxDetectWidth != 0 && maxDetectWidth < 64 {
            reader.problem("max_detect_width", "must be 0 (no limit) or at least 64, not \(maxDetectWidth)")
            maxDetectWidth = defaults.maxDetectWidth
        }
        threads = reader.int("threads", default: defaults.threads, in: 1...256)
        maxPhotoPixels = reader.int("max_photo_pixels", default: defaults.maxPhotoPixels, in: 1...200_000_000)
        reader.finish()
    }
}
