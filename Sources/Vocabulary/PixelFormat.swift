/// How a frame's pixels are laid out: the one answer capture, the wire, the engine and the
/// config share. The raw values are the wire's (see MessageCodec).
public enum PixelFormat: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// 3 bytes per pixel, R G B.
    case rgb24 = 1
    /// 1 byte per pixel, luma only.
    case gray8 = 2

    public var bytesPerPixel: Int {
        switch self {
        case .rgb24: 3
        case .gray8: 1
        }
    }

    public var description: String {
        switch self {
        case .rgb24: "rgb24"
        case .gray8: "gray8"
        }
    }
}
