import ArgumentParser
import FaceEngine
import FacegateConfig
import Foundation
import ProcessSupport
import WireProtocol
import Vocabulary

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
    /// Per camera id: the smallest face its door needs found and its lock zones; a camera not
    /// here is scanned whole at the engine's finest scale.
    var doors: [String: DoorDetection] = [:]
    /// Largest message accepted from the broker (a detect carries a whole frame).
    var maxBodyLength: Int
    var heartbeatInterval: Double
    /// Load the 68-point model at start: some lock judges liveness, so frames will ask for
    /// 68-point shapes, and the first of them must not wait for the model.
    var preloadLandmarks68 = false
    /// Where to serve Prometheus metrics; nil for none.
    var metricsListen: ListenAddress? = nil
    /// `[metrics]` of the file (its `allow_remote` rules `--metrics-listen` too).
    var metricsSettings = MetricsSettings()

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
                                       maxDetectWidth: r.maxDetectWidth > 0 ? r.maxDetectWidth : nil, threads: r.threads,
                                       frameThreads: r.frameThreads)
        let sockets = URL(fileURLWithPath: configuration.runtime.socketsDirectory)
        var doors: [String: DoorDetection] = [:]
        for camera in configuration.cameras {
            let zones = camera.detectionZones
            guard camera.minFacePx != nil || !zones.isEmpty else { continue }
            doors[camera.id] = DoorDetection(minFacePx: camera.minFacePx ?? DoorDetection.smallestFace(upsample: r.upsample),
                                             zones: zones)
        }
        var options = RecognizerOptions(
            name: name, brokerSocket: sockets.appendingPathComponent("recognizer.sock").path,
            controlSocket: configuration.runtime.tap ? sockets.appendingPathComponent("recognizer-\(name).ctl").path : nil,
            engine: engine, maxBodyLength: configuration.runtime.maxFrameBytes + detectOverhead, heartbeatInterval: 2,
            preloadLandmarks68: configuration.judgesLiveness,
            metricsListen: configuration.metrics.recognizer(name: name), metricsSettings: configuration.metrics)
        options.doors = doors
        return options
    }
}

enum RecognizerOptionsError: Error, CustomStringConvertible {
    case config(String)

    var description: String {
        switch self {
        case let .config(why): why
        }
    }
}

/// facegate-recognizer's command line. The flag names are those the systemd units, the runit
/// run scripts and the tests use; keep them.
struct RecognizerCommand: DaemonCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-recognizer",
        abstract: "Find faces in the frames the broker sends and answer with their boxes and descriptors.",
        usage: """
        facegate-recognizer --config <file> [--name <name>] [<overrides>]
        facegate-recognizer --socket <path> --models <dir> [--name <name>] [<options>]
        """,
        discussion: """
        Stateless; several may run side by side (give each its own --name). With --config, \
        [recognizer] and [runtime] give everything (the broker's recognizer socket is \
        <sockets_dir>/recognizer.sock, the control socket <sockets_dir>/recognizer-NAME.ctl when \
        [runtime] tap = true); any other flag overrides the file. Without it, --socket and \
        --models are required.

        Runs until SIGTERM or SIGINT. Exits 2 for a bad command line or configuration, 1 when \
        the face engine cannot start (a model file missing).
        """)

    @Option(help: ArgumentHelp("facegate TOML file: [recognizer] and [runtime].", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Instance name, 1-64 ASCII letters, digits, '.', '_' or '-'.", valueName: "name"))
    var name = "recognizer"

    @Option(help: ArgumentHelp("The broker's recognizer socket (default <sockets_dir>/recognizer.sock).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Serve tap copies and status on this socket.", valueName: "path"))
    var control: String?

    @Option(help: ArgumentHelp("Directory with dlib's model files.", valueName: "dir"))
    var models: String?

    @Option(help: ArgumentHelp("Face detector: hog or mmod (default hog).", valueName: "hog|mmod"))
    var detector: String?

    @Option(help: ArgumentHelp("Doublings of the image before detection, 0...3 (default 1).", valueName: "n"))
    var upsample: Int?

    @Option(help: ArgumentHelp("Landmark model: 5 or 68 points (default 5).", valueName: "5|68"))
    var landmarks: Int?

    @Option(help: ArgumentHelp("Detect as if frames were at most this wide; 0 = full size.", valueName: "n"))
    var maxDetectWidth: Int?

    @Option(help: ArgumentHelp("Frames processed at once (engine instances), 1...64 (default 1).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Threads one frame's HOG detection runs on, 1...16 (default 1).", valueName: "n"))
    var frameThreads: Int?

    @Option(help: ArgumentHelp("Largest frame the broker may send (default \(RuntimeSettings.defaultMaxFrameBytes)).",
                               valueName: "n"))
    var maxFrameBytes: Int?

    @Option(help: ArgumentHelp("Heartbeat interval in seconds (default 2).", valueName: "s"))
    var heartbeatSeconds: Double?

    @Flag(help: ArgumentHelp("Load the 68-point landmark model at start (with --config: when a lock judges liveness)."))
    var preloadLandmarks68 = false
    @Option(help: ArgumentHelp("Serve Prometheus metrics on this loopback address (overrides [metrics] recognizers).",
                               valueName: "host:port"))
    var metricsListen: String?

    func validate() throws {
        func invalid(_ flag: String, _ value: CustomStringConvertible, _ expected: String) -> ValidationError {
            ValidationError("\(flag) \(value): expected \(expected)")
        }
        guard (1...64).contains(name.utf8.count),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) })
        else { throw invalid("--name", name, "1-64 ASCII letters, digits, '.', '_' or '-'") }
        if let detector, FaceEngineOptions.Detector(rawValue: detector) == nil { throw invalid("--detector", detector, "hog or mmod") }
        if let upsample, !(0...3).contains(upsample) { throw invalid("--upsample", upsample, "an integer in 0...3") }
        if let landmarks, FaceEngineOptions.Landmarks(rawValue: landmarks) == nil { throw invalid("--landmarks", landmarks, "5 or 68") }
        if let maxDetectWidth, !(maxDetectWidth == 0 || (32...16384).contains(maxDetectWidth)) {
            throw invalid("--max-detect-width", maxDetectWidth, "0 or 32...16384")
        }
        if let threads, !(1...64).contains(threads) { throw invalid("--threads", threads, "an integer in 1...64") }
        if let frameThreads, !(1...16).contains(frameThreads) {
            throw invalid("--frame-threads", frameThreads, "an integer in 1...16")
        }
        if let maxFrameBytes, !(4096...(1 << 30)).contains(maxFrameBytes) {
            throw invalid("--max-frame-bytes", maxFrameBytes, "an integer in 4096...\(1 << 30)")
        }
        if let heartbeatSeconds, !(heartbeatSeconds > 0 && heartbeatSeconds.isFinite) {
            throw invalid("--heartbeat-seconds", String(format: "%g", heartbeatSeconds), "a positive number")
        }
    }

    /// The configuration file's settings, then the flags over them (validate() checked each).
    func options() throws -> RecognizerOptions {
        var options: RecognizerOptions
        if let config {
            options = try RecognizerOptions.fromConfig(path: config, name: name)
        } else {
            // Checked here rather than in validate(), which ArgumentParser runs before it
            // reports a misspelt flag: `--sokcet` must be named as what is wrong.
            guard let socket else { throw RecognizerOptionsError.config("missing --socket (or --config)") }
            guard let models else { throw RecognizerOptionsError.config("missing --models (or --config)") }
            options = RecognizerOptions(name: name, brokerSocket: socket, controlSocket: nil,
                                        engine: FaceEngineOptions(modelsDirectory: models),
                                        maxBodyLength: RuntimeSettings.defaultMaxFrameBytes + RecognizerOptions.detectOverhead,
                                        heartbeatInterval: 2)
        }
        if let socket { options.brokerSocket = socket }
        if let control { options.controlSocket = control }
        if let models { options.engine.modelsDirectory = models }
        if let detector { options.engine.detector = FaceEngineOptions.Detector(rawValue: detector)! }
        if let upsample { options.engine.upsample = upsample }
        if let landmarks { options.engine.landmarks = FaceEngineOptions.Landmarks(rawValue: landmarks)! }
        if let maxDetectWidth { options.engine.maxDetectWidth = maxDetectWidth == 0 ? nil : maxDetectWidth }
        if let threads { options.engine.threads = threads }
        if let frameThreads { options.engine.frameThreads = frameThreads }
        if let maxFrameBytes { options.maxBodyLength = maxFrameBytes + RecognizerOptions.detectOverhead }
        if let heartbeatSeconds { options.heartbeatInterval = heartbeatSeconds }
        if preloadLandmarks68 { options.preloadLandmarks68 = true }
        if let metricsListen {
            let address: ListenAddress
            do { address = try ListenAddress(parsing: metricsListen) } catch { throw RecognizerOptionsError.config("--metrics-listen: \(error)") }
            if let refusal = options.metricsSettings.check(address) { throw RecognizerOptionsError.config("--metrics-listen: \(refusal)") }
            options.metricsListen = address
        }
        return options
    }

    static func runDaemon(_ options: RecognizerOptions) -> Int32 { RecognizerProcess(options: options).run() }
}
