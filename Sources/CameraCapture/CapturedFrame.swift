import Vocabulary

extension PixelFormat {
    /// The GStreamer raw video format name (rows padded to 4 bytes, see `CapturedFrame.stride`).
    var gstFormat: String {
        switch self {
        case .rgb24: "RGB"
        case .gray8: "GRAY8"
        }
    }
}

/// One decoded picture, independent of the camera it came from.
///
/// `captureMonotonicNs` is the instant the frame was captured on CLOCK_MONOTONIC, derived from
/// the buffer's timestamp on the pipeline clock (see `CaptureTiming` for how and how exact),
/// not from when Swift read it. `captureWallNs` is the same instant on the wall clock, for logs.
public struct CapturedFrame: Sendable {
    /// Counts delivered frames of one `CaptureSession` from 1, across pipeline rebuilds.
    public let seq: UInt64
    public let captureMonotonicNs: UInt64
    public let captureWallNs: Int64
    public let pixelFormat: PixelFormat
    public let width: Int
    public let height: Int
    /// Bytes from one row to the next (>= width * bytesPerPixel; GStreamer pads rows to 4 bytes).
    public let stride: Int
    /// `height * stride` bytes, row 0 first.
    public let pixels: [UInt8]

    public init(seq: UInt64, captureMonotonicNs: UInt64, captureWallNs: Int64, pixelFormat: PixelFormat,
                width: Int, height: Int, stride: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && stride >= width * pixelFormat.bytesPerPixel)
        precondition(pixels.count == height * stride)
        self.seq = seq
        self.captureMonotonicNs = captureMonotonicNs
        self.captureWallNs = captureWallNs
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
        self.stride = stride
        self.pixels = pixels
    }
}
