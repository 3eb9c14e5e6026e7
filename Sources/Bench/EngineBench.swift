import FaceEngine
import Foundation
import ProcessSupport
import Vocabulary
import WireProtocol
import WireTransport

/// Face engine figures: per-frame milliseconds for detection, descriptors and both on the
/// 240p...1080p photos, for the reference settings and for the speed options, side by side
/// in one run, and against dlib's Python binding (face_recognition 1.3.0) when a venv with it
/// can be made.
///
/// Entry point: `EngineBench.run(facesDirectory:modelsDirectory:repetitions:)`.
///
/// The machine is shared and noisy, so configurations are measured interleaved (each
/// repetition runs every configuration once, in turn) and medians are printed.
enum EngineBench {
    static let framePhotos = ["obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"]

    struct FrameTiming {
        var detectMs: Double
        var descriptorsMs: Double
        var totalMs: Double { detectMs + descriptorsMs }
        var faces: [DescribedFace]
    }

    struct Configuration {
        var label: String
        var engine: FaceEngine
    }

    static func run(facesDirectory: String, modelsDirectory: String, repetitions: Int = 7,
                    pythonVenv: String? = nil) throws {
        let photos = try framePhotos.map { ($0, try Image(contentsOfFile: facesDirectory + "/" + $0)) }
        let referenceFaces = referenceFaceCounts(facesDirectory: facesDirectory)
        let configurations = [
            Configuration(label: "full", engine: try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory))),
            Configuration(label: "cap960", engine: try FaceEngine(options: FaceEngineOptions(
                modelsDirectory: modelsDirectory, maxDetectWidth: 960))),
            Configuration(label: "cap640", engine: try FaceEngine(options: FaceEngineOptions(
                modelsDirectory: modelsDirectory, maxDetectWidth: 640))),
        ]
        print("== face engine in-process: \(FaceEngine.buildInfo)")
        print("   HOG upsample 1, 5-point landmarks, 1 instance; median of \(repetitions) interleaved runs"
              + " after a warm-up; JPEG decoding not included")

        var results: [String: [String: FrameTiming]] = [:]
        for (name, image) in photos {
            results[name] = try measureInterleaved(configurations, image, repetitions)
        }

        print("\n-- full resolution (face_recognition's settings; matches reference.json)")
        printHeader()
        for (name, image) in photos { printRow(name, image, results[name]!["full"]!, referenceFaces[name]) }
        print("   BLAS in use: \(loadedLibraries(matching: ["blas", "lapack"]).joined(separator: ", "))")

        print()
        try ShimVariantBench.run(facesDirectory: facesDirectory, modelsDirectory: modelsDirectory, repetitions: repetitions)

        for (label, width) in [("cap960", 960), ("cap640", 640)] {
            print("\n-- maxDetectWidth \(width): detector sees at most \(width) px across (x2 upsampled);"
                  + " landmarks + descriptors at full resolution")
            print(pad("photo", 18) + pad("faces", 7, right: true) + pad("detect ms", 11, right: true)
                  + pad("descr ms", 10, right: true) + pad("total ms", 10, right: true)
                  + pad("vs full", 9, right: true) + pad("box dev px", 12, right: true)
                  + pad("descr dist", 12, right: true))
            for (name, _) in photos {
                let t = results[name]![label]!
                let f = results[name]!["full"]!
                let (boxDeviation, distance) = compare(t.faces, f.faces)
                print(pad(name, 18) + pad("\(t.faces.count)/\(referenceFaces[name].map(String.init) ?? "?")", 7, right: true)
                      + pad(ms(t.detectMs), 11, right: true) + pad(ms(t.descriptorsMs), 10, right: true)
                      + pad(ms(t.totalMs), 10, right: true)
                      + pad(String(format: "%.2fx", f.totalMs / t.totalMs), 9, right: true)
                      + pad(boxDeviation.map(String.init) ?? "-", 12, right: true)
                      + pad(distance.map { String(format: "%.4f", $0) } ?? "-", 12, right: true))
            }
        }
        print("   faces: found / in reference.json. box dev, descr dist: against full resolution"
              + " (same person is < 0.6 apart, typically 0.3-0.4)")

        let venv = pythonVenv ?? URL(fileURLWithPath: modelsDirectory).deletingLastPathComponent()
            .appendingPathComponent("pybench").path
        print("\n-- dlib's Python binding: face_recognition 1.3.0 defaults (HOG upsample 1, 'small' 5-point model);"
              + " Python always at full resolution, so the cap640 column is not equal work (see the equal-work table)")
        switch PythonComparison.measure(venv: venv, modelsDirectory: modelsDirectory, facesDirectory: facesDirectory,
                                        photos: framePhotos, repetitions: repetitions) {
        case .failure(let reason):
            print("   skipped: \(reason)")
        case .success(let python):
            print("   \(python.version)")
            print(pad("photo", 18) + pad("faces", 7, right: true) + pad("python ms", 11, right: true)
                  + pad("full ms", 9, right: true) + pad("cap640 ms", 11, right: true)
                  + pad("full vs py", 12, right: true) + pad("cap640 vs py", 14, right: true))
            for (name, _) in photos {
                guard let p = python.frames[name] else { continue }
                let full = results[name]!["full"]!, capped = results[name]!["cap640"]!
                print(pad(name, 18) + pad("\(p.faces)", 7, right: true) + pad(ms(p.totalMs), 11, right: true)
                      + pad(ms(full.totalMs), 9, right: true) + pad(ms(capped.totalMs), 11, right: true)
                      + pad(String(format: "%.2fx", p.totalMs / full.totalMs), 12, right: true)
                      + pad(String(format: "%.2fx", p.totalMs / capped.totalMs), 14, right: true))
            }
            print("   ratios are frames/s ours / frames/s Python (python ms / our ms), one frame at a time")
        }
        print()
        try EqualWorkBench.run(facesDirectory: facesDirectory, modelsDirectory: modelsDirectory, repetitions: repetitions,
                               pythonVenv: venv)

        for width in [nil, 640] as [Int?] {
            print("\n-- facegate-recognizer process through its socket vs the same engine in-process"
                  + (width.map { ", maxDetectWidth \($0)" } ?? ", full resolution"))
            do {
                let figures = try RecognizerOverhead.measure(modelsDirectory: modelsDirectory, photos: photos,
                                                             maxDetectWidth: width, repetitions: repetitions)
                print(pad("photo", 18) + pad("(a) in-proc ms", 16, right: true) + pad("(b) via proc ms", 17, right: true)
                      + pad("b/a", 7, right: true) + pad("its engine ms", 15, right: true)
                      + pad("pipeline ms", 13, right: true) + pad("pipeline", 10, right: true))
                for (name, _) in photos {
                    guard let f = figures[name] else { continue }
                    let pipeline = f.viaProcessMs - f.recognizerEngineMs
                    print(pad(name, 18) + pad(ms(f.inProcessMs), 16, right: true) + pad(ms(f.viaProcessMs), 17, right: true)
                          + pad(String(format: "%.3f", f.viaProcessMs / f.inProcessMs), 7, right: true)
                          + pad(ms(f.recognizerEngineMs), 15, right: true) + pad(String(format: "%.2f", pipeline), 13, right: true)
                          + pad(String(format: "%.1f%%", pipeline / f.recognizerEngineMs * 100), 10, right: true))
                }
                print("   (b): detect sent -> result received by a broker-side peer. pipeline = (b) minus the engine time"
                      + " the recognizer reports (frame encode, Unix socket both ways, decode, result), as a share of"
                      + " that engine time. b/a also carries the machine's noise between two runs of the same engine.")
            } catch {
                print("   skipped: \(error)")
            }
        }

        try throughput(modelsDirectory: modelsDirectory, image: photos[2].1, name: photos[2].0, repetitions: repetitions)
        print()
        try landmarkCost(facesDirectory: facesDirectory, modelsDirectory: modelsDirectory, repetitions: repetitions)
    }

    /// What liveness adds per face: the 68-point shape fit (`FaceEngine.landmarks68`, on
    /// request) next to the descriptor (`descriptors`, on every face), measured interleaved on
    /// the same faces of the same frames with the default engine (5-point, full resolution).
    /// Issue 10 asks for the first to stay under 5 % of the second. Beside it, dlib's own
    /// shape_predictor on the same boxes (a 68-point engine's, which the shim reuses as it is),
    /// each fit right after a descriptor pass as in the recognizer.
    static func landmarkCost(facesDirectory: String, modelsDirectory: String, repetitions: Int = 7) throws {
        let files = framePhotos + ["two_people.jpg"]
        let photos = try files.map { ($0, try Image(contentsOfFile: facesDirectory + "/" + $0)) }
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory))
        let dlibOwn = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, landmarks: .sixtyEight))
        print("== 68-point landmarks per face vs the descriptor per face: \(FaceEngine.buildInfo)")
        print("   HOG upsample 1, 5-point descriptor landmarks, 1 instance; median of \(repetitions) interleaved runs"
              + " after a warm-up; the same detected faces for all")

        // The first request loads the 68-point model (once per engine instance).
        let (loadPhoto, loadImage) = photos[1]
        let loadFaces = try engine.detect(image: loadImage)
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try engine.landmarks68(for: loadFaces, in: loadImage)
        let loadMs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6

        print(pad("photo", 18) + pad("faces", 7, right: true) + pad("descr ms/face", 15, right: true)
              + pad("68-pt ms/face", 15, right: true) + pad("68-pt / descr", 15, right: true)
              + pad("dlib's own ms/face", 20, right: true) + pad("dlib's / ours", 15, right: true)
              + pad("in analyze ms/face", 20, right: true) + pad("68-pt / frame", 15, right: true))
        var totalDescriptor = 0.0, totalShape = 0.0, totalOwn = 0.0, totalDescriptorCPU = 0.0, totalShapeCPU = 0.0
        for (name, image) in photos {
            let found = try engine.detect(image: image)
            let found68 = try dlibOwn.detect(image: image)
            guard !found.isEmpty, found.map(\.detectorBox) == found68.map(\.detectorBox) else {
                print(pad(name, 18) + "  no face found, or the two engines disagree")
                continue
            }
            _ = try engine.descriptors(for: found, in: image)
            _ = try engine.landmarks68(for: found, in: image)
            _ = try dlibOwn.landmarks68(for: found68, in: image)
            var describe: [Double] = [], shape: [Double] = [], own: [Double] = [], inAnalyze: [Double] = [], ofFrame: [Double] = []
            var describeCPU: [Double] = [], shapeCPU: [Double] = []
            for _ in 0..<max(1, repetitions) {
                let cpuA = processCPUNanoseconds()
                let a = DispatchTime.now().uptimeNanoseconds
                _ = try engine.descriptors(for: found, in: image)
                let b = DispatchTime.now().uptimeNanoseconds
                let cpuB = processCPUNanoseconds()
                _ = try engine.landmarks68(for: found, in: image)
                let c = DispatchTime.now().uptimeNanoseconds
                describeCPU.append(Double(cpuB - cpuA) / 1e6)
                shapeCPU.append(Double(processCPUNanoseconds() - cpuB) / 1e6)
                _ = try dlibOwn.descriptors(for: found68, in: image)
                let d = DispatchTime.now().uptimeNanoseconds
                _ = try dlibOwn.landmarks68(for: found68, in: image)
                let e = DispatchTime.now().uptimeNanoseconds
                describe.append(Double(b - a) / 1e6)
                shape.append(Double(c - b) / 1e6)
                own.append(Double(e - d) / 1e6)
                // What the recognizer reports as landmarks_us: the step inside analyze().
                let analysis = try image.bytes.withUnsafeBytes {
                    try engine.analyze(pixels: $0, format: image.format, width: image.width, height: image.height,
                                       stride: image.stride, landmarks68: true)
                }
                let landmarks = Double(analysis.landmarksMicros ?? 0)
                inAnalyze.append(landmarks / 1e3)
                ofFrame.append(landmarks / Double(analysis.detectMicros + analysis.descriptorMicros))
            }
            let n = Double(found.count)
            let d = median(describe) / n, l = median(shape) / n, o = median(own) / n
            totalDescriptor += median(describe)
            totalShape += median(shape)
            totalOwn += median(own)
            totalDescriptorCPU += median(describeCPU)
            totalShapeCPU += median(shapeCPU)
            print(pad(name, 18) + pad("\(found.count)", 7, right: true) + pad(String(format: "%.2f", d), 15, right: true)
                  + pad(String(format: "%.3f", l), 15, right: true) + pad(String(format: "%.2f%%", l / d * 100), 15, right: true)
                  + pad(String(format: "%.3f", o), 20, right: true) + pad(String(format: "%.2fx", o / l), 15, right: true)
                  + pad(String(format: "%.3f", median(inAnalyze) / n), 20, right: true)
                  + pad(String(format: "%.2f%%", median(ofFrame) * 100), 15, right: true))
        }
        print(String(format: "   all photos: 68-point landmarks cost %.2f%% of the descriptors (issue 10: < 5%%);"
                     + " dlib's own shape_predictor %.2f%%", totalShape / totalDescriptor * 100, totalOwn / totalDescriptor * 100))
        // The descriptor's matrix products run on OpenBLAS's threads (every core), the fit on
        // one: by the clock the fit looks dearer than what it takes from the host.
        print(String(format: "   CPU time (all threads of the process): 68-point landmarks cost %.2f%% of the descriptors"
                     + " (%.3f vs %.2f ms for all faces)", totalShapeCPU / totalDescriptorCPU * 100, totalShapeCPU, totalDescriptorCPU))
        print("   in analyze: the step as the recognizer runs it (after detection and descriptors) and reports it"
              + " (landmarks_us); / frame: that step against the frame's detection + descriptors")
        print("   first request of an engine instance: \(String(format: "%.0f", loadMs)) ms (loads"
              + " \(FaceEngineOptions.landmarks68ModelFile), then fits \(loadFaces.count) face(s) of \(loadPhoto))")
    }

    /// Frames per second with N instances fed by N threads, against one instance.
    static func throughput(modelsDirectory: String, image: Image, name: String, repetitions: Int) throws {
        print("\n-- instances (FaceEngineOptions.threads) on \(name), frames/s with as many callers as instances,"
              + " maxDetectWidth 640")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var base = 0.0
        for threads in [1, 2] {
            let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, maxDetectWidth: 640,
                                                                   threads: threads))
            _ = try engine.analyze(image: image)
            let framesEach = max(4, repetitions)
            let start = DispatchTime.now().uptimeNanoseconds
            let failures = ErrorBox()
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                for _ in 0..<framesEach {
                    do { _ = try engine.analyze(image: image) } catch { failures.set(error) }
                }
            }
            if let error = failures.error { throw error }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let fps = Double(threads * framesEach) / seconds
            if threads == 1 { base = fps }
            print("   \(threads) instance(s): \(String(format: "%.2f", fps)) frames/s"
                  + (threads > 1 ? String(format: " (%.2fx of one; %d cores, shared with whatever else runs)", fps / base, cores) : ""))
        }
    }

    static func measureInterleaved(_ configurations: [Configuration], _ image: Image,
                                   _ repetitions: Int) throws -> [String: FrameTiming] {
        for c in configurations { _ = try c.engine.analyze(image: image) }
        var detect: [String: [Double]] = [:]
        var describe: [String: [Double]] = [:]
        var faces: [String: [DescribedFace]] = [:]
        for _ in 0..<max(1, repetitions) {
            for c in configurations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let found = try c.engine.detect(image: image)
                let t1 = DispatchTime.now().uptimeNanoseconds
                let descriptors = try c.engine.descriptors(for: found, in: image)
                let t2 = DispatchTime.now().uptimeNanoseconds
                detect[c.label, default: []].append(Double(t1 - t0) / 1e6)
                describe[c.label, default: []].append(Double(t2 - t1) / 1e6)
                faces[c.label] = zip(found, descriptors).map { DescribedFace(face: $0, descriptor: $1) }
            }
        }
        var out: [String: FrameTiming] = [:]
        for c in configurations {
            out[c.label] = FrameTiming(detectMs: median(detect[c.label]!), descriptorsMs: median(describe[c.label]!),
                                       faces: faces[c.label]!)
        }
        return out
    }

    /// Largest box-edge deviation and descriptor distance, each face paired with the nearest.
    static func compare(_ a: [DescribedFace], _ b: [DescribedFace]) -> (Int?, Double?) {
        guard !a.isEmpty, a.count == b.count else { return (nil, nil) }
        var box = 0
        var distance = 0.0
        for x in a {
            let y = b.min { centreDistance($0.face.box, x.face.box) < centreDistance($1.face.box, x.face.box) }!
            box = max(box, abs(x.face.box.left - y.face.box.left), abs(x.face.box.top - y.face.box.top),
                      abs(x.face.box.right - y.face.box.right), abs(x.face.box.bottom - y.face.box.bottom))
            distance = max(distance, x.descriptor.distance(to: y.descriptor))
        }
        return (box, distance)
    }

    static func centreDistance(_ a: FaceBox, _ b: FaceBox) -> Int {
        abs(a.left + a.right - b.left - b.right) + abs(a.top + a.bottom - b.top - b.bottom)
    }

    static func referenceFaceCounts(facesDirectory: String) -> [String: Int] {
        struct Reference: Decodable {
            struct Photo: Decodable {
                let file: String
                let faces: [Face]
            }
            struct Face: Decodable {}
            let images: [Photo]
        }
        guard let data = FileManager.default.contents(atPath: facesDirectory + "/reference.json"),
              let reference = try? JSONDecoder().decode(Reference.self, from: data) else { return [:] }
        return Dictionary(reference.images.map { ($0.file, $0.faces.count) }, uniquingKeysWith: { a, _ in a })
    }

    static func printHeader() {
        print(pad("photo", 18) + pad("size", 11) + pad("faces", 7, right: true) + pad("detect ms", 11, right: true)
              + pad("descr ms", 10, right: true) + pad("total ms", 10, right: true) + pad("frames/s", 10, right: true))
    }

    static func printRow(_ name: String, _ image: Image, _ t: FrameTiming, _ reference: Int?) {
        print(pad(name, 18) + pad("\(image.width)x\(image.height)", 11)
              + pad("\(t.faces.count)/\(reference.map(String.init) ?? "?")", 7, right: true)
              + pad(ms(t.detectMs), 11, right: true) + pad(ms(t.descriptorsMs), 10, right: true)
              + pad(ms(t.totalMs), 10, right: true) + pad(String(format: "%.2f", 1000 / t.totalMs), 10, right: true))
    }

    /// Shared objects mapped into this process whose path contains one of `words`: which
    /// BLAS the dynamic linker actually chose after Debian's alternatives.
    static func loadedLibraries(matching words: [String]) -> [String] {
        // /proc files report size 0, so read to end of file rather than by size.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile(),
              let maps = String(data: data, encoding: .utf8) else { return [] }
        var seen: [String] = []
        for line in maps.split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init),
                  path.hasPrefix("/"), words.contains(where: { path.lowercased().contains($0) }),
                  !seen.contains(path) else { continue }
            seen.append(path)
        }
        // libblas.so.3 is Debian's alternatives link: name what it resolves to.
        return seen.map { path in
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return real == path ? path : "\(path) -> \(real)"
        }
    }

    /// CPU time of every thread of this process (OpenBLAS's workers included).
    static func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func ms(_ v: Double) -> String { String(format: "%.1f", v) }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// First error thrown by any of several concurrent workers.
    final class ErrorBox: Sendable {
        private let first = Locked<(any Error)?>(nil)
        var error: (any Error)? { first.withLock { $0 } }
        func set(_ e: any Error) { first.withLock { if $0 == nil { $0 = e } } }
    }
}

/// The real facegate-recognizer (beside this executable) fed by a broker-side peer on a Unix
/// socket, timed against the same engine settings in this process, interleaved frame by frame.
enum RecognizerOverhead {
    struct Figures {
        var inProcessMs: Double
        var viaProcessMs: Double
        /// detect + descriptor time the recognizer itself reported in its results.
        var recognizerEngineMs: Double
    }

    static func measure(modelsDirectory: String, photos: [(String, Image)], maxDetectWidth: Int?,
                        repetitions: Int) throws -> [String: Figures] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("facegate-recognizer").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchFailure("\(executable) not built")
        }
        var template = Array("/tmp/fgbench.XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw BenchFailure("mkdtemp failed")
        }
        let dir = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socketPath = dir + "/recognizer.sock"
        let listener = try UnixSocket.listen(path: socketPath)
        defer { listener.close() }
        listener.setReceiveTimeout(seconds: 60)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--socket", socketPath, "--models", modelsDirectory, "--name", "bench",
                             "--heartbeat-seconds", "3600", "--max-detect-width", String(maxDetectWidth ?? 0)]
        _ = FileManager.default.createFile(atPath: dir + "/recognizer.log", contents: nil) // the open below throws if not
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/recognizer.log"))
        process.standardError = logHandle
        process.standardOutput = logHandle
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            try? logHandle.close()
        }

        let connection = MessageConnection(socket: try listener.accept(), maxBodyLength: 1 << 20)
        defer { connection.close() }
        try connection.handshake(local: Hello(role: .broker, name: "bench-broker", pid: UInt32(getpid())),
                                 accepting: [.recognizer], asServer: true)
        connection.socket.setReceiveTimeout(seconds: 120)
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, maxDetectWidth: maxDetectWidth))

        var txn: UInt64 = 1
        func roundTrip(_ image: Image) throws -> RecognitionResult {
            let now = MonotonicClock.nowNanoseconds()
            let frame = VideoFrame(camera: "bench", sequence: txn, captureMonotonicNs: now, captureWallNs: 0,
                                   format: image.format == .rgb24 ? .rgb24 : .gray8, width: UInt32(image.width),
                                   height: UInt32(image.height), stride: UInt32(image.stride), pixels: PixelData(image.bytes))
            try connection.send(.detect(Detect(txn: txn, snapshot: Snapshot(captureMonotonicNs: now, motion: false, sessions: []),
                                               frame: frame)))
            defer { txn += 1 }
            while true {
                switch try connection.receive() {
                case let .result(result) where result.txn == txn: return result
                case let .error(error): throw BenchFailure("recognizer answered \(error.code): \(error.text)")
                default: continue
                }
            }
        }

        var figures: [String: Figures] = [:]
        for (name, image) in photos {
            // The pixels travel as PixelData, built once per frame as the broker has it.
            _ = try engine.analyze(image: image)
            _ = try roundTrip(image)
            var a: [Double] = [], b: [Double] = [], inside: [Double] = []
            for _ in 0..<max(1, repetitions) {
                let t0 = MonotonicClock.nowNanoseconds()
                _ = try engine.analyze(image: image)
                let t1 = MonotonicClock.nowNanoseconds()
                let result = try roundTrip(image)
                let t2 = MonotonicClock.nowNanoseconds()
                a.append(Double(t1 - t0) / 1e6)
                b.append(Double(t2 - t1) / 1e6)
                inside.append(Double(result.detectMicros + result.descriptorMicros) / 1000)
            }
            figures[name] = Figures(inProcessMs: EngineBench.median(a), viaProcessMs: EngineBench.median(b),
                                    recognizerEngineMs: EngineBench.median(inside))
        }
        return figures
    }
}

/// The same frames through dlib's Python binding, as face_recognition's README uses it:
/// `face_locations(img)` then `face_encodings(img, locations)`, in a venv made on first use
/// (`pip install dlib-bin numpy Pillow` + `face_recognition==1.3.0 --no-deps`, because its
/// declared `dlib` dependency would compile dlib from source). Never part of `make test`.
enum PythonComparison {
    struct Frame {
        var faces: Int
        var detectMs: Double
        var descriptorsMs: Double
        var totalMs: Double { detectMs + descriptorsMs }
    }

    struct Figures {
        var version: String
        var frames: [String: Frame]
    }

    static func measure(venv: String, modelsDirectory: String, facesDirectory: String, photos: [String],
                        repetitions: Int) -> Result<Figures, BenchFailure> {
        let python = venv + "/bin/python"
        if case .failure(let reason) = ensureVenv(venv) { return .failure(reason) }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("facegate-pybench-\(getpid()).py")
        defer { try? FileManager.default.removeItem(at: script) }
        do { try pythonScript.write(to: script, atomically: true, encoding: .utf8) } catch {
            return .failure(BenchFailure("cannot write \(script.path): \(error)"))
        }
        let (status, output) = runCommand([python, script.path, facesDirectory, modelsDirectory, String(repetitions)] + photos)
        guard status == 0 else { return .failure(BenchFailure("python exited \(status): \(lastLine(output))")) }
        var figures = Figures(version: "?", frames: [:])
        for line in output.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let version = object["version"] as? String { figures.version = version }
            if let photo = object["photo"] as? String, let faces = object["faces"] as? Int,
               let detect = object["detect_ms"] as? Double, let describe = object["descr_ms"] as? Double {
                figures.frames[photo] = Frame(faces: faces, detectMs: detect, descriptorsMs: describe)
            }
        }
        return figures.frames.isEmpty ? .failure(BenchFailure("no figures from python: \(lastLine(output))")) : .success(figures)
    }

    /// Makes the venv on first use.
    static func ensureVenv(_ venv: String) -> Result<Void, BenchFailure> {
        guard !FileManager.default.isExecutableFile(atPath: venv + "/bin/python") else { return .success(()) }
        print("   making \(venv) (pip install face_recognition==1.3.0 dlib-bin numpy Pillow) ...")
        for step in [["python3", "-m", "venv", venv],
                     [venv + "/bin/pip", "install", "--quiet", "--disable-pip-version-check", "dlib-bin", "numpy", "Pillow"],
                     [venv + "/bin/pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                      "face_recognition==1.3.0"]] {
            let (status, output) = runCommand(step)
            if status != 0 {
                try? FileManager.default.removeItem(atPath: venv)
                return .failure(BenchFailure("\(step.joined(separator: " ")) failed: \(lastLine(output))"))
            }
        }
        return .success(())
    }

    /// Runs a command, stdout and stderr together (through a file: no pipe to fill up).
    static func runCommand(_ argv: [String]) -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("facegate-pybench-\(getpid())-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil) // the open below fails if not
        defer { try? FileManager.default.removeItem(at: log) }
        guard let handle = try? FileHandle(forWritingTo: log) else { return (-1, "cannot create \(log.path)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(argv[0]): \(error)") }
        process.waitUntilExit()
        try? handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? "(no output)"
    }

    static let pythonScript = #"""
import WireTransport
import json, os, statistics, sys, time, types

faces_dir, models_dir, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
photos = sys.argv[4:]

# face_recognition finds its models through the face_recognition_models package, a 100 MB
# download of the very files already in models_dir: point it at those instead.
models = types.ModuleType("face_recognition_models")
models.pose_predictor_model_location = lambda: os.path.join(models_dir, "shape_predictor_68_face_landmarks.dat")
models.pose_predictor_five_point_model_location = lambda: os.path.join(models_dir, "shape_predictor_5_face_landmarks.dat")
models.face_recognition_model_location = lambda: os.path.join(models_dir, "dlib_face_recognition_resnet_model_v1.dat")
models.cnn_face_detector_model_location = lambda: os.path.join(models_dir, "mmod_human_face_detector.dat")
sys.modules["face_recognition_models"] = models

import dlib
import face_recognition
from importlib.metadata import version

# face_recognition.__version__ still says 1.2.3 in the 1.3.0 release: ask the installer.
print(json.dumps({"version": "face_recognition %s, dlib %s (%s wheel), Python %s"
                  % (version("face_recognition"), dlib.__version__, "dlib-bin " + version("dlib-bin"),
                     sys.version.split()[0])}), flush=True)
for name in photos:
    img = face_recognition.load_image_file(os.path.join(faces_dir, name))
    face_recognition.face_encodings(img, face_recognition.face_locations(img))
    detect, describe = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        locations = face_recognition.face_locations(img)
        t1 = time.perf_counter()
        face_recognition.face_encodings(img, locations)
        t2 = time.perf_counter()
        detect.append((t1 - t0) * 1000)
        describe.append((t2 - t1) * 1000)
    print(json.dumps({"photo": name, "faces": len(locations), "detect_ms": statistics.median(detect),
                      "descr_ms": statistics.median(describe)}), flush=True)
"""#
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
