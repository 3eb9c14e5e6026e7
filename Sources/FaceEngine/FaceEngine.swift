import CDlibShim
import Foundation
import Vocabulary

/// A face found in an image together with its descriptor.
public struct DescribedFace: Sendable, Equatable {
    public var face: FaceDetection
    public var descriptor: FaceDescriptor
    /// The 68-point shape, when it was asked for (liveness); `face.landmarks` are the ones the
    /// descriptor was computed from, 5 points by default.
    public var landmarks68: FaceLandmarks?
    /// dlib's aligned 150×150 RGB chip the descriptor was computed from, when it was asked for.
    public var chip: Image?

    public init(face: FaceDetection, descriptor: FaceDescriptor, landmarks68: FaceLandmarks? = nil, chip: Image? = nil) {
        self.face = face
        self.descriptor = descriptor
        self.landmarks68 = landmarks68
        self.chip = chip
    }

    /// What leaves the engine: the face as every other part of facegate speaks of it.
    public var detected: DetectedFace {
        DetectedFace(box: face.box, quality: Float(face.quality), descriptor: descriptor, landmarks: landmarks68)
    }
}

/// One frame through the engine, and how long each step took.
public struct FrameAnalysis: Sendable, Equatable {
    /// Highest detector score first.
    public var faces: [DescribedFace]
    /// Detection, including the fit of the landmarks the descriptors use.
    public var detectMicros: UInt64
    public var descriptorMicros: UInt64
    /// The 68-point fit of every face; nil when it was not asked for (and not done).
    public var landmarksMicros: UInt64?

    public init(faces: [DescribedFace], detectMicros: UInt64, descriptorMicros: UInt64, landmarksMicros: UInt64?) {
        self.faces = faces
        self.detectMicros = detectMicros
        self.descriptorMicros = descriptorMicros
        self.landmarksMicros = landmarksMicros
    }
}

/// dlib face detection, landmarks and 128-d descriptors (through the CDlibShim C API).
///
/// Thread safety: a dlib detector/network instance computes one thing at a time. The engine
/// holds `options.threads` independent instances and lends one to each call, so up to that
/// many calls run in parallel; further callers wait for an instance to come back. Safe to
/// share between threads.
///
/// Reason for @unchecked: the C instances are lent out under `condition` (an NSCondition, as
/// callers wait for one to come back), each used by one thread at a time.
public final class FaceEngine: @unchecked Sendable {
    public let options: FaceEngineOptions

    private let instances: [OpaquePointer]
    private var idle: [OpaquePointer]
    private let condition = NSCondition()

    /// For start-up logs: the shim variant engines run by default and why it was chosen
    /// (FACEGATE_SHIM, or the CPU's units), dlib's version and the variant's compiler flags;
    /// or why no variant can run here.
    public static var buildInfo: String { String(cString: fg_build_info()) }

    /// Chooses and loads the process's shim variant now, so a process can refuse to start
    /// with the reason (`shimUnavailable`) instead of at its first frame.
    public static func loadShim() throws {
        try ShimCall.run { message, size in fg_shim_load(message, size) }
    }

    /// The shim variant this engine runs: "baseline" or "avx2".
    public var shimVariant: String { String(cString: fg_engine_variant(instances[0])) }

    /// Loads the models. Throws `modelsDirectoryMissing` / `modelFileMissing(path:)` naming
    /// what is absent, `invalidOptions` for out-of-range settings.
    public init(options: FaceEngineOptions) throws {
        guard (1...64).contains(options.threads) else {
            throw FaceEngineError.invalidOptions("threads \(options.threads) outside 1...64")
        }
        guard (0...Int(FG_MAX_UPSAMPLE)).contains(options.upsample) else {
            throw FaceEngineError.invalidOptions("upsample \(options.upsample) outside 0...\(FG_MAX_UPSAMPLE)")
        }
        if let width = options.maxDetectWidth, !(32...Int(FG_MAX_IMAGE_SIDE)).contains(width) {
            throw FaceEngineError.invalidOptions("max detect width \(width) outside 32...\(FG_MAX_IMAGE_SIDE)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.modelsDirectory, isDirectory: &isDirectory),
              isDirectory.boolValue
        else { throw FaceEngineError.modelsDirectoryMissing(path: options.modelsDirectory) }

        var shimOptions = fg_engine_options(
            detector: Int32(options.detector == .hog ? FG_DETECTOR_HOG.rawValue : FG_DETECTOR_MMOD.rawValue),
            upsample: Int32(options.upsample),
            landmarks: Int32(options.landmarks.rawValue),
            variant: Int32(Self.shimVariantCode(options.shimVariant).rawValue))
        var created: [OpaquePointer] = []
        do {
            for _ in 0..<options.threads {
                var engine: OpaquePointer?
                try ShimCall.run { message, size in
                    fg_engine_create(options.modelsDirectory, &shimOptions, &engine, message, size)
                }
                created.append(engine!)
            }
        } catch {
            created.forEach { fg_engine_destroy($0) }
            throw error
        }
        self.options = options
        instances = created
        idle = created
    }

    deinit {
        instances.forEach { fg_engine_destroy($0) }
    }

    private static func shimVariantCode(_ variant: FaceEngineOptions.ShimVariant?) -> fg_shim_variant {
        switch variant {
        case nil: FG_SHIM_AUTO
        case .baseline: FG_SHIM_BASELINE
        case .avx2: FG_SHIM_AVX2
        }
    }

    // MARK: Detection

    /// Faces in `image`, highest detector score first, with landmarks and quality.
    public func detect(image: Image) throws -> [FaceDetection] {
        try image.bytes.withUnsafeBytes { pixels in
            try detect(pixels: pixels, format: image.format, width: image.width, height: image.height, stride: image.stride)
        }
    }

    /// The same on pixels the caller owns (e.g. a received frame), without copying them.
    public func detect(pixels: UnsafeRawBufferPointer, format: PixelFormat, width: Int, height: Int,
                       stride: Int) throws -> [FaceDetection] {
        var image = try shimImage(pixels, format, width, height, stride)
        return try withInstance { try detect(on: $0, &image) }
    }

    // MARK: Descriptors

    /// One descriptor per face, computed from its landmarks on this same image.
    public func descriptors(for faces: [FaceDetection], in image: Image) throws -> [FaceDescriptor] {
        try image.bytes.withUnsafeBytes { pixels in
            try descriptors(for: faces, pixels: pixels, format: image.format, width: image.width,
                            height: image.height, stride: image.stride)
        }
    }

    public func descriptors(for faces: [FaceDetection], pixels: UnsafeRawBufferPointer, format: PixelFormat,
                            width: Int, height: Int, stride: Int) throws -> [FaceDescriptor] {
        guard !faces.isEmpty else { return [] }
        var image = try shimImage(pixels, format, width, height, stride)
        return try withInstance { try descriptors(on: $0, for: faces, &image) }
    }

    // MARK: 68-point landmarks

    /// The 68-point shape of each face on this same image, fitted in the box its landmarks
    /// were fitted in, whatever model the descriptors use: what liveness judges. With the
    /// 5-point model (the default) the 68-point one is loaded on the first call (about 65 MB
    /// per instance; `modelFileMissing` naming it when absent, and tried again next time);
    /// the descriptors do not change either way.
    public func landmarks68(for faces: [FaceDetection], in image: Image) throws -> [FaceLandmarks] {
        try image.bytes.withUnsafeBytes { pixels in
            try landmarks68(for: faces, pixels: pixels, format: image.format, width: image.width,
                            height: image.height, stride: image.stride)
        }
    }

    public func landmarks68(for faces: [FaceDetection], pixels: UnsafeRawBufferPointer, format: PixelFormat,
                            width: Int, height: Int, stride: Int) throws -> [FaceLandmarks] {
        guard !faces.isEmpty else { return [] }
        var image = try shimImage(pixels, format, width, height, stride)
        return try withInstance { try landmarks68(on: $0, for: faces, &image) }
    }

    /// Loads the 68-point model into every instance now rather than on the first frame that
    /// asks for shapes: a recognizer serving locks that judge liveness calls this at start, so
    /// the first touch after a restart does not lose the seconds of a model load (frames go by
    /// meanwhile, and a liveness window that sees too few of them refuses a real person).
    /// Throws `modelFileMissing` naming the file when it is absent.
    public func prepareLandmarks68() throws {
        for instance in instances {
            try ShimCall.run { message, size in fg_prepare_landmarks68(instance, message, size) }
        }
    }

    // MARK: Whole frames

    /// Detection followed by descriptors.
    public func analyze(image: Image) throws -> [DescribedFace] {
        try image.bytes.withUnsafeBytes { pixels in
            try analyze(pixels: pixels, format: image.format, width: image.width, height: image.height,
                        stride: image.stride).faces
        }
    }

    /// Detection, descriptors for the `maxFaces` highest-scoring faces, and their 68-point
    /// shapes when `landmarks68` (nothing is spent on them otherwise), each step timed, all on
    /// one instance. A face whose box clipped to the image is empty (wholly past the edge)
    /// gets no 68-point shape. With `chips`, each face keeps the aligned chip its descriptor
    /// was computed from (a copy of 67,500 bytes; the descriptors are the same).
    public func analyze(pixels: UnsafeRawBufferPointer, format: PixelFormat, width: Int, height: Int, stride: Int,
                        maxFaces: Int = .max, landmarks68 wanted: Bool = false, chips: Bool = false) throws -> FrameAnalysis {
        var image = try shimImage(pixels, format, width, height, stride)
        return try withInstance { engine in
            let t0 = Self.nowNanoseconds()
            let faces = Array(try detect(on: engine, &image).prefix(max(0, maxFaces)))
            let t1 = Self.nowNanoseconds()
            var described: [DescribedFace]
            if chips {
                let (descriptors, chipImages) = try descriptorsAndChips(on: engine, for: faces, &image)
                described = (0..<faces.count).map { DescribedFace(face: faces[$0], descriptor: descriptors[$0], chip: chipImages[$0]) }
            } else {
                let descriptors = try descriptors(on: engine, for: faces, &image)
                described = zip(faces, descriptors).map { DescribedFace(face: $0, descriptor: $1) }
            }
            let t2 = Self.nowNanoseconds()
            var landmarksMicros: UInt64?
            if wanted {
                let fitted = described.indices.filter { !described[$0].face.box.isEmpty }
                let shapes = try landmarks68(on: engine, for: fitted.map { described[$0].face }, &image)
                for (i, shape) in zip(fitted, shapes) { described[i].landmarks68 = shape }
                landmarksMicros = (Self.nowNanoseconds() - t2) / 1000
            }
            return FrameAnalysis(faces: described, detectMicros: (t1 - t0) / 1000, descriptorMicros: (t2 - t1) / 1000,
                                 landmarksMicros: landmarksMicros)
        }
    }

    // MARK: Private

    private func detect(on engine: OpaquePointer, _ image: inout fg_image) throws -> [FaceDetection] {
        let maxWidth = Int32(options.maxDetectWidth ?? 0)
        var capacity = 16
        while true {
            var faces = [fg_face](repeating: fg_face(), count: capacity)
            var count: Int32 = 0
            try ShimCall.run { message, size in
                fg_detect(engine, &image, maxWidth, &faces, Int32(capacity), &count, message, size)
            }
            if Int(count) > capacity {
                capacity = Int(count)
                continue
            }
            let (width, height) = (Int(image.width), Int(image.height))
            return faces.prefix(Int(count)).map { FaceDetection(shim: $0, imageWidth: width, imageHeight: height) }
        }
    }

    private func descriptors(on engine: OpaquePointer, for faces: [FaceDetection],
                             _ image: inout fg_image) throws -> [FaceDescriptor] {
        guard !faces.isEmpty else { return [] }
        var shimFaces = try faces.map { try $0.shimFace() }
        var values = [Float](repeating: 0, count: faces.count * FaceDescriptor.dimension)
        try ShimCall.run { message, size in
            fg_descriptors(engine, &image, &shimFaces, Int32(faces.count), &values, message, size)
        }
        return try (0..<faces.count).map {
            let n = FaceDescriptor.dimension
            do {
                return try FaceDescriptor(Array(values[$0 * n..<($0 + 1) * n]))
            } catch {
                throw FaceEngineError.engineFailure("descriptor of face \($0): \(error)")
            }
        }
    }

    private func descriptorsAndChips(on engine: OpaquePointer, for faces: [FaceDetection],
                                     _ image: inout fg_image) throws -> ([FaceDescriptor], [Image]) {
        guard !faces.isEmpty else { return ([], []) }
        var shimFaces = try faces.map { try $0.shimFace() }
        var values = [Float](repeating: 0, count: faces.count * FaceDescriptor.dimension)
        let chipBytes = Int(FG_CHIP_BYTES), side = Int(FG_CHIP_SIDE)
        var pixels = [UInt8](repeating: 0, count: faces.count * chipBytes)
        try ShimCall.run { message, size in
            fg_descriptors_and_chips(engine, &image, &shimFaces, Int32(faces.count), &values, &pixels, message, size)
        }
        let n = FaceDescriptor.dimension
        let descriptors = try (0..<faces.count).map {
            do {
                return try FaceDescriptor(Array(values[$0 * n..<($0 + 1) * n]))
            } catch {
                throw FaceEngineError.engineFailure("descriptor of face \($0): \(error)")
            }
        }
        let chips = (0..<faces.count).map {
            Image(format: .rgb24, width: side, height: side, bytes: Array(pixels[$0 * chipBytes..<($0 + 1) * chipBytes]))
        }
        return (descriptors, chips)
    }

    private func landmarks68(on engine: OpaquePointer, for faces: [FaceDetection],
                             _ image: inout fg_image) throws -> [FaceLandmarks] {
        guard !faces.isEmpty else { return [] }
        var shimFaces = try faces.map { try $0.shimFace() }
        let n = 2 * Int(FG_MAX_LANDMARKS) // the shim's stride per face
        var xy = [Float](repeating: 0, count: faces.count * n)
        try ShimCall.run { message, size in
            fg_landmarks68(engine, &image, &shimFaces, Int32(faces.count), &xy, message, size)
        }
        return try (0..<faces.count).map { i in
            let points = (0..<FaceLandmarks.count).map { p in LandmarkPoint(x: xy[i * n + 2 * p], y: xy[i * n + 2 * p + 1]) }
            do {
                return try FaceLandmarks(points)
            } catch {
                throw FaceEngineError.engineFailure("68-point landmarks of face \(i): \(error)")
            }
        }
    }

    private static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private func withInstance<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        condition.lock()
        while idle.isEmpty { condition.wait() }
        let engine = idle.removeLast()
        condition.unlock()
        defer {
            condition.lock()
            idle.append(engine)
            condition.signal()
            condition.unlock()
        }
        return try body(engine)
    }

    private func shimImage(_ pixels: UnsafeRawBufferPointer, _ format: PixelFormat, _ width: Int,
                           _ height: Int, _ stride: Int) throws -> fg_image {
        let limit = Int(Int32.max)
        guard (0...limit).contains(width), (0...limit).contains(height), (0...limit).contains(stride) else {
            throw FaceEngineError.invalidImage("image size \(width)x\(height) or stride \(stride) out of range")
        }
        return fg_image(pixels: pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), length: pixels.count,
                        width: Int32(width), height: Int32(height), stride: Int32(stride), format: format.shimValue)
    }
}

extension FaceDetection {
    init(shim f: fg_face, imageWidth: Int, imageHeight: Int) {
        let raw = FaceBox(left: Int(f.left), top: Int(f.top), right: Int(f.right), bottom: Int(f.bottom))
        let points: [Point] = withUnsafeBytes(of: f.landmarks) { bytes in
            let xy = bytes.bindMemory(to: Int32.self)
            return (0..<Int(f.landmark_count)).map { Point(x: Int(xy[2 * $0]), y: Int(xy[2 * $0 + 1])) }
        }
        self.init(box: raw.clipped(to: ImageSize(width: imageWidth, height: imageHeight)), detectorBox: raw,
                  detectorScore: f.score, landmarks: points)
    }

    func shimFace() throws -> fg_face {
        guard landmarks.count <= Int(FG_MAX_LANDMARKS) else {
            throw FaceEngineError.invalidOptions("face has \(landmarks.count) landmarks")
        }
        func clamp(_ v: Int) -> Int32 { Int32(clamping: v) }
        var f = fg_face()
        f.left = clamp(detectorBox.left)
        f.top = clamp(detectorBox.top)
        f.right = clamp(detectorBox.right)
        f.bottom = clamp(detectorBox.bottom)
        f.score = detectorScore
        f.landmark_count = Int32(landmarks.count)
        withUnsafeMutableBytes(of: &f.landmarks) { bytes in
            let xy = bytes.bindMemory(to: Int32.self)
            for (i, p) in landmarks.enumerated() {
                xy[2 * i] = clamp(p.x)
                xy[2 * i + 1] = clamp(p.y)
            }
        }
        return f
    }
}
