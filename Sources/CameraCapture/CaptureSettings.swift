import Vocabulary

/// How a camera's frames are shaped and how hard the session tries to keep them coming.
public struct CaptureSettings: Sendable, Equatable {
    public enum Pacing: Sendable, Equatable {
        /// File and image sources play against the pipeline clock, so capture times are real
        /// instants, and frames the consumer is too slow for are dropped (newest wins).
        case realTime
        /// File and image sources are decoded as fast as the consumer takes frames, and none is
        /// dropped; capture times are then not meaningful. For benchmarks only.
        case unpaced
    }

    public var pixelFormat: PixelFormat
    /// Frames wider than this are scaled down to it, keeping the aspect ratio; narrower ones are left alone.
    public var maxWidth: Int?
    /// Frames above this rate are dropped right after decoding (never queued, never converted).
    /// Fractions are allowed (0.5 = one frame every two seconds).
    public var maxFps: Double?
    /// No frame for this long while running: the pipeline is torn down and rebuilt.
    public var noFrameTimeout: Double
    public var restartBackoffInitial: Double
    public var restartBackoffMaximum: Double
    public var pacing: Pacing

    public init(pixelFormat: PixelFormat = .rgb24, maxWidth: Int? = nil, maxFps: Double? = nil,
                noFrameTimeout: Double = 10, restartBackoffInitial: Double = 0.5,
                restartBackoffMaximum: Double = 10, pacing: Pacing = .realTime) {
        precondition(maxWidth.map { $0 >= 16 } ?? true, "maxWidth must be at least 16")
        precondition(maxFps.map { $0 > 0 && $0.isFinite } ?? true, "maxFps must be positive")
        precondition(noFrameTimeout > 0)
        self.pixelFormat = pixelFormat
        self.maxWidth = maxWidth
        self.maxFps = maxFps
        self.noFrameTimeout = noFrameTimeout
        self.restartBackoffInitial = restartBackoffInitial
        self.restartBackoffMaximum = restartBackoffMaximum
        self.pacing = pacing
    }
}
