import ArgumentParser
import FaceEngine
import Foundation

struct FacegateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-bench",
        abstract: "Print facegate's performance figures.",
        subcommands: [All.self, Wire.self, Fuzz.self, Broker.self, Capture.self, Engine.self, Shims.self, Landmarks.self, EqualWork.self,
                      Detect.self, EndToEnd.self, Capacity.self, Crops.self, Web.self])

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var facesDirectory: String {
        ProcessInfo.processInfo.environment["FACEGATE_FACES_DIR"]
            ?? packageRoot.appendingPathComponent("../shared/faces").standardizedFileURL.path
    }
    static var modelsDirectory: String {
        ProcessInfo.processInfo.environment["FACEGATE_MODELS_DIR"] ?? packageRoot.appendingPathComponent(".cache/models").path
    }

    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every benchmark.")
        func run() throws {
            // The defaults of each subcommand, called directly: a ParsableCommand made with
            // `init()` has no parsed option values to read.
            try WireBench.run()
            print()
            try WireFuzz.run(mutations: 2_000_000, seed: 1)
            print()
            try BrokerBench.run()
            print()
            try CaptureBench.run(clipPath: FacegateBench.facesDirectory + "/short_hamilton_clip.mp4")
            print()
            try EngineBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory)
            print()
            try CropBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory)
            print()
            try EndToEndBench.run()
            print()
            try CapacityBench.run()
            print()
            try WebBench.run()
        }
    }

    struct Crops: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Face crop size and JPEG encode time per face, raw next to JPEG.")
        @Option var repetitions = 21
        func run() throws {
            try CropBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory,
                              repetitions: repetitions)
        }
    }

    struct Web: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "facegate-web's decisions page over 1,000,000 audit rows next to a plain SQLite query of the same rows.")
        @Option var rows = 1_000_000
        @Option var repetitions = 41
        func run() throws { try WebBench.run(rows: rows, repetitions: repetitions) }
    }

    struct EndToEnd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "e2e",
                                                        abstract: "Capture-to-unlock latency and frames/s with one and two recognizers.")
        @Option var seconds = 20.0
        func run() throws { try EndToEndBench.run(seconds: seconds) }
    }

    struct Capacity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cameras per host: N RTSP captures at 720p/10 fps, one door active, N raised until its capture->unlock p99 > 300 ms.")
        @Option(help: "Camera counts to try, in order, comma-separated.") var cameras = "1,2,3,4,6,8"
        @Option(help: "Seconds measured at each N.") var seconds = 15.0
        @Flag(help: "Measure every count, also past the limits.") var keepGoing = false
        func run() throws {
            let counts = cameras.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            guard !counts.isEmpty else { throw ValidationError("--cameras: a comma-separated list of positive counts, e.g. 1,2,4") }
            try CapacityBench.run(cameraCounts: counts, seconds: seconds, keepGoing: keepGoing)
        }
    }

    struct Wire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "WireProtocol throughput vs a raw Unix socket.")
        @Option var frames = 1500
        @Option var rounds = 5
        func run() throws { try WireBench.run(frames: frames, rounds: rounds) }
    }

    struct Fuzz: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mutate valid messages and decode them, many times over.")
        @Option var mutations = 10_000_000
        @Option var seed: UInt64 = UInt64(UInt32.random(in: 0...UInt32.max))
        func run() throws { try WireFuzz.run(mutations: mutations, seed: seed) }
    }

    struct Broker: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decision core rates and the broker process's frame throughput.")
        func run() throws { try BrokerBench.run() }
    }

    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Capture frames/s on the clip next to gst-launch of the same pipeline.")
        @Option var rounds = 5
        func run() throws {
            try CaptureBench.run(clipPath: FacegateBench.facesDirectory + "/short_hamilton_clip.mp4", rounds: rounds)
        }
    }

    struct Landmarks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "68-point landmark cost per face next to the descriptor cost per face (also part of `engine`).")
        @Option var repetitions = 7
        func run() throws {
            try EngineBench.landmarkCost(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory,
                                         repetitions: repetitions)
        }
    }

    struct Shims: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The shim's baseline and AVX2/FMA variants side by side (also part of `engine`).")
        @Option var repetitions = 7
        func run() throws {
            try ShimVariantBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory,
                                     repetitions: repetitions)
        }
    }

    struct EqualWork: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "equal",
            abstract: "The engine vs dlib's Python binding doing the same work, 1 and N threads per frame (also part of `engine`).")
        @Option var repetitions = 7
        @Option var rounds = 3
        func run() throws {
            try EqualWorkBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory,
                                   repetitions: repetitions, rounds: rounds)
        }
    }

    /// A fixed amount of detection work and nothing else, to run under
    /// `valgrind --tool=callgrind` (see README "Performance": where HOG's time goes).
    struct Detect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detect faces in one photo a number of times (a workload for callgrind).")
        @Option var photo = "obama-720p.jpg"
        @Option var frames = 1
        @Option var frameThreads = 1
        @Option var maxDetectWidth: Int?
        func run() throws {
            let image = try Image(contentsOfFile: FacegateBench.facesDirectory + "/" + photo)
            let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: FacegateBench.modelsDirectory,
                                                                   maxDetectWidth: maxDetectWidth, frameThreads: frameThreads))
            var faces = 0
            for _ in 0..<frames { faces = try engine.detect(image: image).count }
            print("\(photo): \(faces) face(s), \(frames) frame(s), \(engine.shimVariant)")
        }
    }

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Face engine per-frame times.")
        func run() throws {
            try EngineBench.run(facesDirectory: FacegateBench.facesDirectory, modelsDirectory: FacegateBench.modelsDirectory)
        }
    }
}
