/// What a capture session has done since it started, summed over every pipeline it built.
public struct CaptureCounters: Sendable, Equatable {
    /// Frames handed to the frame handler.
    public var captured: UInt64 = 0
    /// Frames that came out of the decoder.
    public var decoded: UInt64 = 0
    /// Frames dropped by the frame-rate cap, right after decoding.
    public var droppedByRateCap: UInt64 = 0
    /// Frames that passed the cap but were replaced by a newer one before delivery, because
    /// conversion or the frame handler was slower than the camera (newest frame wins).
    /// While running this includes the at most two frames in flight.
    public var droppedBehind: UInt64 = 0
    /// Frames with no usable buffer timestamp, stamped when pulled instead.
    public var untimed: UInt64 = 0
    /// Pipelines rebuilt after an error, end of stream or watchdog timeout.
    public var restarts: UInt64 = 0
    /// Capture time of the newest delivered frame.
    public var lastCaptureMonotonicNs: UInt64?

    public init() {}

    public var dropped: UInt64 { droppedByRateCap + droppedBehind }
}
