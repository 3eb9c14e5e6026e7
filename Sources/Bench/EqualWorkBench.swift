import FaceEngine
import Foundation

/// The engine against dlib's Python binding doing the same work (issue 12, item 1): for each
/// engine configuration the Python side detects at the same detection width with the same
/// upsampling (resizing the frame first when the engine would), then computes the
/// descriptors at full resolution on the boxes mapped back, with the same models. Both sides
/// are measured in one run, alternating rounds photo by photo (a Python process kept alive
/// between rounds), so the noise of the shared machine falls on both; medians are printed and
/// the ratio is Python's time over ours (>1: we are faster).
///
/// The engine is measured with one thread per frame and with `frameThreads` = the host's cores.
enum EqualWorkBench {
    struct Route: Equatable {
        /// Width the frame is resized to before detection; nil: detected as it is.
        var goal: Int?
        /// pyramid_up doublings before the HOG scan.
        var upsample: Int
        func detectionWidth(frameWidth: Int) -> Int { (goal ?? frameWidth) << upsample }
    }

    /// The route the shim takes (detect_in / detect_capped in facegate_dlib_variant.inc).
    static func route(width: Int, maxDetectWidth: Int?, upsample: Int) -> Route {
        guard let cap = maxDetectWidth, width > cap else { return Route(goal: nil, upsample: upsample) }
        let detectionWidth = cap << upsample
        var doublings = 0
        while (width << doublings) < detectionWidth { doublings += 1 }
        let goal = detectionWidth >> doublings
        return Route(goal: goal >= width ? nil : goal, upsample: doublings)
    }

    struct Row {
        var photo: String
        var config: String
        var route: Route
        var frameWidth: Int
        var python: PythonServer.Timing
        var ours: [Int: EngineBench.FrameTiming]  // frame threads -> timing
    }

    static func run(facesDirectory: String, modelsDirectory: String, repetitions: Int = 7, rounds: Int = 3,
                    pythonVenv: String? = nil) throws {
        let cores = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let venv = pythonVenv ?? URL(fileURLWithPath: modelsDirectory).deletingLastPathComponent()
            .appendingPathComponent("pybench").path
        print("== equal work: the engine vs dlib's Python binding at the same detection width, upsampling and models")
        print("   \(FaceEngine.buildInfo)")
        let python: PythonServer
        switch PythonServer.start(venv: venv, modelsDirectory: modelsDirectory, facesDirectory: facesDirectory) {
        case .failure(let reason):
            print("   skipped: \(reason)")
            return
        case .success(let server):
            python = server
        }
        defer { python.stop() }
        print("   \(python.version)")
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
        print("   load average at start \(load) on \(ProcessInfo.processInfo.activeProcessorCount) cores;"
              + " \(rounds) alternating rounds of \(repetitions) frames each side, medians; 5-point landmarks")

        let threadCounts = [1, cores]
        let configs: [(String, Int?)] = [("full", nil), ("cap640", 640)]
        var engines: [String: [Int: FaceEngine]] = [:]
        for (label, width) in configs {
            for n in threadCounts {
                engines[label, default: [:]][n] = try FaceEngine(options: FaceEngineOptions(
                    modelsDirectory: modelsDirectory, maxDetectWidth: width, frameThreads: n))
            }
        }
        var rows: [Row] = []
        for name in EngineBench.framePhotos {
            let image = try Image(contentsOfFile: facesDirectory + "/" + name)
            for (label, width) in configs {
                let route = route(width: image.width, maxDetectWidth: width, upsample: 1)
                var py: [PythonServer.Timing] = []
                var ours: [Int: [EngineBench.FrameTiming]] = [:]
                let configurations = threadCounts.map { EngineBench.Configuration(label: "\($0)", engine: engines[label]![$0]!) }
                for _ in 0..<rounds {
                    py.append(try python.measure(photo: name, route: route, repetitions: repetitions))
                    let timings = try EngineBench.measureInterleaved(configurations, image, repetitions)
                    for n in threadCounts { ours[n, default: []].append(timings["\(n)"]!) }
                }
                rows.append(Row(photo: name, config: label, route: route, frameWidth: image.width,
                                python: PythonServer.Timing.median(py),
                                ours: ours.mapValues { EngineBench.FrameTiming.median($0) }))
            }
        }

        func pad(_ s: String, _ width: Int, right: Bool = false) -> String { EngineBench.pad(s, width, right: right) }
        print(pad("photo", 17) + pad("config", 8) + pad("HOG sees", 10, right: true) + pad("faces py/us", 13, right: true)
              + pad("py det ms", 11, right: true) + pad("py tot ms", 11, right: true)
              + pad("1t det", 8, right: true) + pad("1t tot", 8, right: true)
              + pad("\(cores)t det", 8, right: true) + pad("\(cores)t tot", 8, right: true)
              + pad("det x1t", 9, right: true) + pad("det x\(cores)t", 9, right: true)
              + pad("tot x1t", 9, right: true) + pad("tot x\(cores)t", 9, right: true))
        for row in rows {
            let one = row.ours[1]!, many = row.ours[cores]!
            func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2fx", a / b) }
            print(pad(row.photo, 17) + pad(row.config, 8)
                  + pad("\(row.route.detectionWidth(frameWidth: row.frameWidth))px", 10, right: true)
                  + pad("\(row.python.faces)/\(one.faces.count)", 13, right: true)
                  + pad(EngineBench.ms(row.python.detectMs), 11, right: true)
                  + pad(EngineBench.ms(row.python.totalMs), 11, right: true)
                  + pad(EngineBench.ms(one.detectMs), 8, right: true) + pad(EngineBench.ms(one.totalMs), 8, right: true)
                  + pad(EngineBench.ms(many.detectMs), 8, right: true) + pad(EngineBench.ms(many.totalMs), 8, right: true)
                  + pad(ratio(row.python.detectMs, one.detectMs), 9, right: true)
                  + pad(ratio(row.python.detectMs, many.detectMs), 9, right: true)
                  + pad(ratio(row.python.totalMs, one.totalMs), 9, right: true)
                  + pad(ratio(row.python.totalMs, many.totalMs), 9, right: true))
        }
        print("   HOG sees: pixels across after the resize and upsampling both sides do. det: detection (HOG + the 5-point fit"
              + " on our side); tot: + descriptors at full resolution. xNt: Python's ms / ours with N threads on the frame")
        print("   (HOG scan only; the descriptor's BLAS uses every core on both sides). Ratios > 1: the engine is faster.")
    }
}

extension EngineBench.FrameTiming {
    static func median(_ timings: [EngineBench.FrameTiming]) -> EngineBench.FrameTiming {
        EngineBench.FrameTiming(detectMs: EngineBench.median(timings.map(\.detectMs)),
                                descriptorsMs: EngineBench.median(timings.map(\.descriptorsMs)),
                                faces: timings.last?.faces ?? [])
    }
}

/// dlib's Python binding (face_recognition 1.3.0 on the dlib-bin wheel) in a process that stays
/// up and answers one JSON request per line: a photo, the route to detect it by, repetitions;
/// it answers the median detection and descriptor times of that many frames after a warm-up.
final class PythonServer {
    struct Timing {
        var faces: Int
        var detectMs: Double
        var descriptorsMs: Double
        var totalMs: Double { detectMs + descriptorsMs }
        static func median(_ t: [Timing]) -> Timing {
            Timing(faces: t.last?.faces ?? 0, detectMs: EngineBench.median(t.map(\.detectMs)),
                   descriptorsMs: EngineBench.median(t.map(\.descriptorsMs)))
        }
    }

    private(set) var version = "?"
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private let script: URL
    private var buffer = Data()

    private init(process: Process, input: FileHandle, output: FileHandle, script: URL) {
        self.process = process
        self.input = input
        self.output = output
        self.script = script
    }

    static func start(venv: String, modelsDirectory: String, facesDirectory: String) -> Result<PythonServer, BenchFailure> {
        // The venv is made as the engine bench makes it (PythonComparison).
        if case .failure(let reason) = PythonComparison.ensureVenv(venv) { return .failure(reason) }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("facegate-pyserver-\(getpid()).py")
        do { try serverScript.write(to: script, atomically: true, encoding: .utf8) } catch {
            return .failure(BenchFailure("cannot write \(script.path): \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venv + "/bin/python")
        process.arguments = [script.path, facesDirectory, modelsDirectory]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { return .failure(BenchFailure("\(venv)/bin/python: \(error)")) }
        let server = PythonServer(process: process, input: stdin.fileHandleForWriting, output: stdout.fileHandleForReading,
                                  script: script)
        guard let line = server.readLine(),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let version = object["version"] as? String else {
            server.stop()
            return .failure(BenchFailure("the Python side did not start (see its error above)"))
        }
        server.version = version
        return .success(server)
    }

    func measure(photo: String, route: EqualWorkBench.Route, repetitions: Int) throws -> Timing {
        let request: [String: Any] = ["photo": photo, "goal": route.goal ?? 0, "upsample": route.upsample, "reps": repetitions]
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(UInt8(ascii: "\n"))
        input.write(line)
        guard let answer = readLine(),
              let object = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any] else {
            throw BenchFailure("no answer from the Python side for \(photo)")
        }
        if let error = object["error"] as? String { throw BenchFailure("python: \(error)") }
        guard let faces = object["faces"] as? Int, let detect = object["detect_ms"] as? Double,
              let describe = object["descr_ms"] as? Double else { throw BenchFailure("python answered \(answer)") }
        return Timing(faces: faces, detectMs: detect, descriptorsMs: describe)
    }

    func stop() {
        try? input.close()
        if process.isRunning { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: script)
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    static let serverScript = #"""
import json, os, statistics, sys, time, types

faces_dir, models_dir = sys.argv[1], sys.argv[2]

# face_recognition finds its models through face_recognition_models: point it at models_dir.
models = types.ModuleType("face_recognition_models")
models.pose_predictor_model_location = lambda: os.path.join(models_dir, "shape_predictor_68_face_landmarks.dat")
models.pose_predictor_five_point_model_location = lambda: os.path.join(models_dir, "shape_predictor_5_face_landmarks.dat")
models.face_recognition_model_location = lambda: os.path.join(models_dir, "dlib_face_recognition_resnet_model_v1.dat")
models.cnn_face_detector_model_location = lambda: os.path.join(models_dir, "mmod_human_face_detector.dat")
sys.modules["face_recognition_models"] = models

import dlib
import face_recognition
import numpy as np
from PIL import Image
from importlib.metadata import version

print(json.dumps({"version": "face_recognition %s, dlib %s (dlib-bin %s wheel), Python %s"
                  % (version("face_recognition"), dlib.__version__, version("dlib-bin"), sys.version.split()[0])}),
      flush=True)

images = {}

def frame(img, goal, upsample):
    """One frame as the engine's route does it: resize to goal (bilinear) if asked, HOG with
    upsample doublings, boxes back to the frame, descriptors at full resolution."""
    t0 = time.perf_counter()
    if goal:
        h, w = img.shape[0], img.shape[1]
        gh = max(1, round(h * goal / w))
        small = np.asarray(Image.fromarray(img).resize((goal, gh), Image.BILINEAR))
        sx, sy = (w - 1) / max(goal - 1, 1), (h - 1) / max(gh - 1, 1)
        locations = [(round(t * sy), round(r * sx), round(b * sy), round(l * sx))
                     for (t, r, b, l) in face_recognition.face_locations(small, upsample)]
    else:
        locations = face_recognition.face_locations(img, upsample)
    t1 = time.perf_counter()
    face_recognition.face_encodings(img, locations)
    t2 = time.perf_counter()
    return len(locations), (t1 - t0) * 1000, (t2 - t1) * 1000

for line in sys.stdin:
    try:
        req = json.loads(line)
        name = req["photo"]
        if name not in images:
            images[name] = face_recognition.load_image_file(os.path.join(faces_dir, name))
        img = images[name]
        frame(img, req["goal"], req["upsample"])
        detect, describe, faces = [], [], 0
        for _ in range(req["reps"]):
            faces, d, e = frame(img, req["goal"], req["upsample"])
            detect.append(d)
            describe.append(e)
        print(json.dumps({"faces": faces, "detect_ms": statistics.median(detect),
                          "descr_ms": statistics.median(describe)}), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
"""#
}
