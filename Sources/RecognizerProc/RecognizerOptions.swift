import FaceEngine
import FacegateConfig
import Foundation
import ProcessSupport
import WireProtocol

/// Everything one facegate-recognizer process needs, from `--config FILE --name NAME` or from
/// plain flags (tests, ad-hoc runs). Flags given next to `--config` override the file.
struct RecognizerOptions {
    /// This instance's name: in its hello, its log lines and its control socket's name.
    var name: String
    /// The broker's recognizer socket.
    var brokerSocket: String
    /// This process's tap/status socket; nil for none.
    var controlSocket: String?
    var engine: FaceEngineOptions
    /// Largest message accepted from the broker (a detect carries a whole frame).
    var maxBodyLength: Int
    var heartbeatInterval: Double

    static let usage = """
    usage: facegate-recognizer --config FILE [--name NAME] [overrides]
           facegate-recognizer --socket PATH --models DIR [--name NAME] [options]

    Finds faces in the frames the broker sends and answers with their boxes and descriptors.
    Stateless; several may run side by side (give each its own --name).

      --config FILE          facegate TOML file: [recognizer] and [runtime]
      --name NAME            instance name, letters/digits/._- (default "recognizer")
      --socket PATH          the broker's recognizer socket (default <sockets_dir>/recognizer.sock)
      --control PATH         serve tap copies and status here
                             (default <sockets_dir>/recognizer-NAME.ctl when [runtime] tap = true)
      --models DIR           directory with dlib's model files
      --detector hog|mmod    face detector (default hog)
      --upsample N           doublings before detection, 0...3 (default 1)
      --landmarks 5|68       landmark model (default 5)
      --max-detect-width N   detect as if frames were at most N px wide; 0 = full size
      --threads N            frames processed at once (engine instances), default 1
      --max-frame-bytes N    largest frame the broker may send (default \(RuntimeSettings.defaultMaxFrameBytes))
      --heartbeat-seconds S  heartbeat interval (default 2)
    """

    static func parse(_ arguments: [String]) throws -> RecognizerOptions {
        var flags = try CommandLineFlags(arguments)
        if flags.bool("--help") || flags.bool("-h") { throw RecognizerOptionsError.helpRequested }
        let configPath = try flags.value("--config")
        let name = try flags.value("--name") ?? "recognizer"
        guard (1...64).contains(name.utf8.count),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) })
        else { throw RecognizerOptionsError.invalid("--name", name, "1-64 ASCII letters, digits, '.', '_' or '-'") }

        let socket = try flags.value("--socket")
        let control = try flags.value("--control")
        let models = try flags.value("--models")
        let detector = try flags.value("--detector")
        let upsample = try flags.integer("--upsample", in: 0...3)
        let landmarks = try flags.integer("--landmarks", in: 5...68)
        let maxDetectWidth = try flags.integer("--max-detect-width", in: 0...16384)
        let threads = try flags.integer("--threads", in: 1...64)
        let maxFrameBytes = try flags.integer("--max-frame-bytes", in: 4096...(1 << 30))
        let heartbeat = try flags.value("--heartbeat-seconds")
        try flags.rejectLeftovers()

        var options: RecognizerOptions
        if let configPath {
            options = try fromConfig(path: configPath, name: name)
        } else {
            guard let socket else { throw RecognizerOptionsError.missing("--socket (or --config)") }
            guard let models else { throw RecognizerOptionsError.missing("--models (or --config)") }
            options = RecognizerOptions(name: name, brokerSocket: socket, controlSocket: nil,
                                        engine: FaceEngineOptions(modelsDirectory: models),
                                        maxBodyLength: RuntimeSettings.defaultMaxFrameBytes + detectOverhead,
                                        heartbeatInterval: 2)
        }
        if let socket { options.brokerSocket = socket }
        if let control { options.controlSocket = control }
        if let models { options.engine.modelsDirectory = models }
        if let detector {
            guard let d = FaceEngineOptions.Detector(rawValue: detector) else {
                throw RecognizerOptionsError.invalid("--detector", detector, "hog or mmod")
            }
            options.engine.detector = d
        }
        if let upsample { options.engine.upsample = upsample }
        if let landmarks {
            guard let l = FaceEngineOptions.Landmarks(rawValue: landmarks) else {
                throw RecognizerOptionsError.invalid("--landmarks", String(landmarks), "5 or 68")
            }
            options.engine.landmarks = l
        }
        if let maxDetectWidth {
            guard maxDetectWidth == 0 || maxDetectWidth >= 32 else {
                throw RecognizerOptionsError.invalid("--max-detect-width", String(maxDetectWidth), "0 or at least 32")
            }
            options.engine.maxDetectWidth = maxDetectWidth == 0 ? nil : maxDetectWidth
        }
        if let threads { options.engine.threads = threads }
        if let maxFrameBytes { options.maxBodyLength = maxFrameBytes + detectOverhead }
        if let heartbeat {
            guard let seconds = Double(heartbeat), seconds > 0, seconds.isFinite else {
                throw RecognizerOptionsError.invalid("--heartbeat-seconds", heartbeat, "a positive number")
            }
            options.heartbeatInterval = seconds
        }
        return options
    }

    /// A detect is a frame plus txn and snapshot; the snapshot's lock sessions take at most
    /// 256 × (8 + 2 + 64) bytes.
    static let detectOverhead = 1 << 16

    static func fromConfig(path: String, name: String) throws -> RecognizerOptions {
        let configuration: FacegateConfiguration
        do {
            configuration = try FacegateConfiguration.load(path: path)
        } catch {
            throw RecognizerOptionsError.config("\(error)")
        }
        let r = configuration.recognizer
        guard r.upsample <= 3 else {
            throw RecognizerOptionsError.config("\(path): [recognizer] upsample \(r.upsample): this engine supports 0...3")
        }
        let engine = FaceEngineOptions(modelsDirectory: r.modelsDirectory, detector: r.detector == .mmod ? .mmod : .hog,
                                       upsample: r.upsample, landmarks: r.landmarks == 68 ? .sixtyEight : .five,
                                       maxDetectWidth: r.maxDetectWidth > 0 ? r.maxDetectWidth : nil, threads: r.threads)
        let sockets = URL(fileURLWithPath: configuration.runtime.socketsDirectory)
        return RecognizerOptions(
            name: name, brokerSocket: sockets.appendingPathComponent("recognizer.sock").path,
            controlSocket: configuration.runtime.tap ? sockets.appendingPathComponent("recognizer-\(name).ctl").path : nil,
            engine: engine, maxBodyLength: configuration.runtime.maxFrameBytes + detectOverhead, heartbeatInterval: 2)
    }
}

enum RecognizerOptionsError: Error, CustomStringConvertible {
    case helpRequested
    case missing(String)
    case invalid(String, String, String)
    case unknown(String)
    case config(String)

    var description: String {
        switch self {
        case .helpRequested: RecognizerOptions.usage
        case let .missing(flag): "missing \(flag)"
        case let .invalid(flag, value, expected): "\(flag) \(value): expected \(expected)"
        case let .unknown(argument): "unknown argument '\(argument)'"
        case let .config(why): why
        }
    }
}
