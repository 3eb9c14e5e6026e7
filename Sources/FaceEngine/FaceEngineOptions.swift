/// How the engine finds and describes faces.
public struct FaceEngineOptions: Sendable, Equatable {
    public enum Detector: String, Sendable, CaseIterable {
        /// dlib's HOG + linear SVM frontal detector: fast on a CPU, frontal faces only.
        case hog
        /// dlib's MMOD CNN: finds turned and smaller faces, many times slower on a CPU.
        case mmod
    }

    public enum Landmarks: Int, Sendable, CaseIterable {
        /// dlib's 5-point model (eye corners, nose): small, fast, what the descriptor was trained with.
        case five = 5
        /// dlib's 68-point model: 100 MB, slightly slower, gives contours for quality checks.
        case sixtyEight = 68
    }

    /// Which compiled variant of dlib's code runs (see `FaceEngine.buildInfo`). Both give the
    /// same boxes and descriptors (within 1e-5); only the speed differs.
    public enum ShimVariant: String, Sendable, CaseIterable {
        /// Any x86-64-v2 CPU (SSE4.2, no AVX).
        case baseline
        /// CPUs with AVX2 and FMA; asking for it on another CPU is `shimUnavailable`, not a SIGILL.
        case avx2
    }

    public var modelsDirectory: String
    public var detector: Detector
    /// Times the image is doubled before detection. HOG's smallest face is 80 px; one
    /// doubling finds faces of ~40 px (the 240p reference photo needs it). 0...3.
    public var upsample: Int
    public var landmarks: Landmarks
    /// When set and a frame is wider, the detector sees it as if it were this wide (then
    /// upsampled as `upsample` says); boxes are mapped back, landmarks and descriptors always
    /// use the full-resolution frame. Costs faces smaller than about 80 / 2^upsample px at
    /// that width (with upsample 1 and 640: ~40 px of a 640-wide frame, ~80 px of 1280).
    /// The engine takes the cheapest route there: a 1280-wide frame with 640 and upsample 1
    /// is detected as it is, without upsampling, instead of halved and doubled again.
    /// nil: detect at full resolution (what the reference data used).
    public var maxDetectWidth: Int?
    /// Independent engine instances, so this many frames can be analysed concurrently.
    /// Each instance loads its own copy of the models (about 30 MB with 5-point landmarks,
    /// 120 MB with 68-point; a 5-point instance adds the 68-point model, about 65 MB, the
    /// first time it is asked for 68-point shapes).
    public var threads: Int
    /// Threads one frame's HOG detection runs on (per instance): the pyramid's levels are
    /// scanned in parallel while the next is built, so one frame's latency drops on a
    /// multi-core host. The boxes and scores are exactly the single-threaded ones. 1...16.
    public var frameThreads: Int
    /// nil: the process's choice, the same for every engine in it: FACEGATE_SHIM
    /// (baseline|avx2|auto), else the fastest variant the CPU runs. Set only to compare them.
    public var shimVariant: ShimVariant?

    /// The model `FaceEngine.landmarks68` fits, relative to `modelsDirectory`; loaded only
    /// when first asked for, so it is not in `requiredModelFiles`.
    public static let landmarks68ModelFile = "shape_predictor_68_face_landmarks.dat"

    public init(modelsDirectory: String, detector: Detector = .hog, upsample: Int = 1,
                landmarks: Landmarks = .five, maxDetectWidth: Int? = nil, threads: Int = 1,
                shimVariant: ShimVariant? = nil, frameThreads: Int = 1) {
        self.modelsDirectory = modelsDirectory
        self.detector = detector
        self.upsample = upsample
        self.landmarks = landmarks
        self.maxDetectWidth = maxDetectWidth
        self.threads = threads
        self.shimVariant = shimVariant
        self.frameThreads = frameThreads
    }

    /// The model files these options need, relative to `modelsDirectory`.
    public var requiredModelFiles: [String] {
        var files = [
            landmarks == .five ? "shape_predictor_5_face_landmarks.dat" : "shape_predictor_68_face_landmarks.dat",
            "dlib_face_recognition_resnet_model_v1.dat",
        ]
        if detector == .mmod { files.append("mmod_human_face_detector.dat") }
        return files
    }

    /// A short text naming the settings, stored with enrolled descriptors so descriptors
    /// from different settings are never compared unknowingly.
    public var modelSummary: String {
        "dlib_resnet_v1/\(landmarks.rawValue)pt/\(detector.rawValue)-up\(upsample)"
    }
}
