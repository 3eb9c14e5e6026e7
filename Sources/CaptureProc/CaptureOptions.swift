import ArgumentParser
import CameraCapture
import FacegateConfig
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
    /// Where to serve Prometheus metrics; nil for none.
    var metricsListen: ListenAddress?
    /// `[metrics]` of the file (its `allow_remote` rules `--metrics-listen` too).
    var metricsSettings = MetricsSettings()

    static func parseSource(_ text: String) throws -> CaptureSource {
        do {
            return try CaptureSource(uri: text)
        } catch {
            throw CaptureOptionsError.badSource(error.description)
        }
    }
}

/// facegate-capture's command line. The flag names are those the systemd units, the runit run
/// scripts and the tests use; keep them.
struct CaptureCommand: DaemonCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-capture",
        abstract: "Capture one camera and send its frames, stamped with their capture time, to the broker.",
        usage: """
        facegate-capture --config <file> --camera <id> [<overrides>]
        facegate-capture --camera <id> --source <uri> --socket <path> [<options>]
        """,
        discussion: """
        With --config, the camera's [[cameras]] entry and [runtime] give everything (the broker's \
        capture socket and this process's control socket are in runtime.sockets_dir); any other \
        flag overrides the file. Without it, --source and --socket are required.

        Runs until SIGTERM or SIGINT. Exits 2 for a bad command line or configuration.
        """)

    @Option(help: ArgumentHelp("facegate TOML file: the camera's [[cameras]] entry and [runtime].", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Which camera this process captures (its [[cameras]] id).", valueName: "id"))
    var camera: String

    @Option(help: ArgumentHelp("rtsp://, v4l2://, file://, image://, test:// (overrides the camera's source).", valueName: "uri"))
    var source: String?

    @Option(help: ArgumentHelp("The broker's capture socket.", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Serve tap copies and status on this socket.", valueName: "path"))
    var control: String?

    @Option(help: ArgumentHelp("At most this many frames per second (fractions allowed).", valueName: "n"))
    var fps: Double?

    @Option(help: ArgumentHelp("Scale wider frames down to this many pixels, keeping the aspect ratio (at least 16).",
                               valueName: "n"))
    var maxWidth: Int?

    @Flag(help: "Send 8-bit gray instead of RGB.")
    var gray = false

    @Option(help: ArgumentHelp("Rebuild the pipeline after this many seconds without a frame (default 10).", valueName: "s"))
    var watchdogSeconds: Double?

    @Option(help: ArgumentHelp("Largest message the broker accepts (default \(FrameDecoder.defaultMaxBodyLength)).",
                               valueName: "n"))
    var maxFrameBytes: Int?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on this loopback address (overrides [metrics] cameras).",
                               valueName: "host:port"))
    var metricsListen: String?

    func validate() throws {
        if camera.isEmpty { throw ValidationError("--camera: must not be empty") }
        try positive("--fps", fps)
        try positive("--watchdog-seconds", watchdogSeconds)
        try positive("--max-frame-bytes", maxFrameBytes.map(Double.init))
        if let maxWidth, maxWidth < 16 { throw ValidationError("--max-width \(maxWidth): expected at least 16") }
    }

    private func positive(_ flag: String, _ value: Double?) throws {
        if let value, !(value > 0 && value.isFinite) {
            throw ValidationError("\(flag) \(String(format: "%g", value)): expected a positive number")
        }
    }

    /// The configuration file's camera, then the flags over it.
    func options() throws -> CaptureOptions {
        var options: CaptureOptions
        if let config {
            options = try CaptureOptions.fromConfig(path: config, cameraId: camera)
        } else {
            // Checked here rather than in validate(), which ArgumentParser runs before it
            // reports a misspelt flag: `--confg` must be named as what is wrong.
            guard let source else { throw CaptureOptionsError.config("missing --source (or --config)") }
            guard let socket else { throw CaptureOptionsError.config("missing --socket (or --config)") }
            options = CaptureOptions(cameraId: camera, source: try CaptureOptions.parseSource(source), settings: CaptureSettings(),
                                     brokerSocket: socket, controlSocket: nil, maxFrameBytes: FrameDecoder.defaultMaxBodyLength)
        }
        if let source { options.source = try CaptureOptions.parseSource(source) }
        if let socket { options.brokerSocket = socket }
        if let control { options.controlSocket = control }
        if let fps { options.settings.maxFps = fps }
        if let maxWidth { options.settings.maxWidth = maxWidth }
        if gray { options.settings.pixelFormat = .gray8 }
        if let watchdogSeconds { options.settings.noFrameTimeout = watchdogSeconds }
        if let maxFrameBytes { options.maxFrameBytes = maxFrameBytes }
        if let metricsListen {
            let address: ListenAddress
            do { address = try ListenAddress(parsing: metricsListen) } catch { throw CaptureOptionsError.config("--metrics-listen: \(error)") }
            if let refusal = options.metricsSettings.check(address) { throw CaptureOptionsError.config("--metrics-listen: \(refusal)") }
            options.metricsListen = address
        }
        return options
    }

    static func runDaemon(_ options: CaptureOptions) -> Int32 { CaptureProcess(options: options).run() }
}

enum CaptureOptionsError: Error, CustomStringConvertible {
    case badSource(String)
    case config(String)

    var description: String {
        switch self {
        case let .badSource(why): why
        case let .config(why): why
        }
    }
}
