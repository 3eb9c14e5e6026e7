import CameraCapture
import Foundation
import ProcessSupport
import WireProtocol

/// Everything one facegate-capture process needs, from `--config FILE --camera ID` or from
/// plain flags (tests, ad-hoc runs). Flags given next to `--config` override the file.
struct CaptureOptions {
    var cameraId: String
    var source: CaptureSource
    var settings: CaptureSettings
    /// The broker's capture socket.
    var brokerSocket: String
    /// This process's tap/status socket; nil for none.
    var controlSocket: String?
    var maxFrameBytes: Int

    static let usage = """
    usage: facegate-capture --config FILE --camera ID [overrides]
           facegate-capture --camera ID --source URI --socket PATH [options]

    Captures one camera and sends its frames, stamped with their capture time, to the broker.

      --config FILE        facegate TOML file: the camera's [[cameras]] entry and [runtime]
      --camera ID          which camera this process captures (required)
      --source URI         rtsp://, v4l2://, file://, image://, test:// (see CaptureSource)
      --socket PATH        the broker's capture socket
      --control PATH       serve tap copies and status on this socket
      --fps N              at most N frames per second (fractions allowed)
      --max-width N        scale wider frames down to N pixels, keeping the aspect ratio
      --gray               send 8-bit gray instead of RGB
      --watchdog-seconds S rebuild the pipeline after S seconds without a frame (default 10)
      --max-frame-bytes N  largest message the broker accepts (default \(FrameDecoder.defaultMaxBodyLength))
    """

    /// Parses `arguments` (without the program name). Every problem is a `CaptureOptionsError`
    /// naming the flag.
    static func parse(_ arguments: [String]) throws -> CaptureOptions {
        var flags = try CommandLineFlags(arguments)
        if flags.bool("--help") || flags.bool("-h") { throw CaptureOptionsError.helpRequested }
        let configPath = try flags.value("--config")
        guard let cameraId = try flags.value("--camera"), !cameraId.isEmpty else {
            throw CaptureOptionsError.missing("--camera")
        }
        var base = try configPath.map { try CaptureOptions.fromConfig(path: $0, cameraId: cameraId) }

        let sourceText = try flags.value("--source")
        let socket = try flags.value("--socket")
        let control = try flags.value("--control")
        let fps = try flags.number("--fps", positive: true)
        let maxWidth = try flags.number("--max-width", positive: true).map { Int($0) }
        let gray = flags.bool("--gray")
        let watchdog = try flags.number("--watchdog-seconds", positive: true)
        let maxFrameBytes = try flags.number("--max-frame-bytes", positive: true).map { Int($0) }
        try flags.rejectLeftovers()

        if base == nil {
            guard let sourceText else { throw CaptureOptionsError.missing("--source (or --config)") }
            guard let socket else { throw CaptureOptionsError.missing("--socket (or --config)") }
            base = CaptureOptions(cameraId: cameraId, source: try parseSource(sourceText), settings: CaptureSettings(),
                                  brokerSocket: socket, controlSocket: nil, maxFrameBytes: FrameDecoder.defaultMaxBodyLength)
        }
        var options = base!
        if let sourceText { options.source = try parseSource(sourceText) }
        if let socket { options.brokerSocket = socket }
        if let control { options.controlSocket = control }
        if let fps { options.settings.maxFps = fps }
        if let maxWidth {
            guard maxWidth >= 16 else { throw CaptureOptionsError.invalid("--max-width", "\(maxWidth)", "at least 16") }
            options.settings.maxWidth = maxWidth
        }
        if gray { options.settings.pixelFormat = .gray8 }
        if let watchdog { options.settings.noFrameTimeout = watchdog }
        if let maxFrameBytes { options.maxFrameBytes = maxFrameBytes }
        return options
    }

    static func parseSource(_ text: String) throws -> CaptureSource {
        do {
            return try CaptureSource(uri: text)
        } catch {
            throw CaptureOptionsError.badSource(error.description)
        }
    }
}

enum CaptureOptionsError: Error, CustomStringConvertible {
    case helpRequested
    case missing(String)
    case invalid(String, String, String)
    case unknown(String)
    case badSource(String)
    case config(String)

    var description: String {
        switch self {
        case .helpRequested: CaptureOptions.usage
        case let .missing(flag): "missing \(flag)"
        case let .invalid(flag, value, expected): "\(flag) \(value): expected \(expected)"
        case let .unknown(arg): "unknown argument '\(arg)'"
        case let .badSource(why): why
        case let .config(why): why
        }
    }
}
