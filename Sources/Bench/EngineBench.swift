import FaceEngine
import Foundation

/// Face engine figures, in-process: per-frame milliseconds for detection, descriptors and
/// both, on the 240p...1080p photos, for the reference settings and for the speed options
/// (downscaled detection, several instances), side by side in one run.
///
/// Entry point: `EngineBench.run(facesDirectory:modelsDirectory:repetitions:)`.
enum EngineBench {
    static let framePhotos = ["obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"]

    struct FrameTiming {
        var detectMs: Double
        var descriptorsMs: Double
        var totalMs: Double { detectMs + descriptorsMs }
        var faces: [DescribedFace]
    }

    static func run(facesDirectory: String, modelsDirectory: String, repetitions: Int = 5) throws {
        let photos = try framePhotos.map { ($0, try Image(contentsOfFile: facesDirectory + "/" + $0)) }
        let reference = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory))
        print("== engine in-process: \(FaceEngine.buildInfo)")
        print("   settings: HOG upsample 1, 5-point landmarks, 1 instance (face_recognition's defaults);"
              + " median of \(repetitions) runs after one warm-up; JPEG decoding not included")

        var full: [String: FrameTiming] = [:]
        printHeader()
        for (name, image) in photos {
            let t = try measure(reference, image, repetitions)
            full[name] = t
            printRow(name, image, t)
        }
        print("   BLAS in use: \(loadedLibraries(matching: ["blas", "lapack"]).joined(separator: ", "))")

        for width in [960, 640] {
            let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, maxDetectWidth: width))
            print("\n== detection on a copy at most \(width) px wide (landmarks + descriptors at full resolution)")
            print(pad("photo", 18) + pad("faces", 7, right: true) + pad("detect ms", 11, right: true)
                  + pad("total ms", 10, right: true) + pad("speed-up", 10, right: true)
                  + pad("box dev px", 12, right: true) + pad("descr dist", 12, right: true))
            for (name, image) in photos {
                let t = try measure(engine, image, repetitions)
                let f = full[name]!
                let (boxDeviation, distance) = compare(t.faces, f.faces)
                print(pad(name, 18) + pad("\(t.faces.count)/\(f.faces.count)", 7, right: true)
                      + pad(ms(t.detectMs), 11, right: true) + pad(ms(t.totalMs), 10, right: true)
                      + pad(String(format: "%.2fx", f.totalMs / t.totalMs), 10, right: true)
                      + pad(boxDeviation.map(String.init) ?? "-", 12, right: true)
                      + pad(distance.map { String(format: "%.4f", $0) } ?? "-", 12, right: true))
            }
        }

        try throughput(modelsDirectory: modelsDirectory, image: photos[2].1, name: photos[2].0, repetitions: repetitions)
    }

    /// Frames per second with N instances fed by N threads, against one instance.
    static func throughput(modelsDirectory: String, image: Image, name: String, repetitions: Int) throws {
        print("\n== instances (FaceEngineOptions.threads) on \(name), frames/s with as many callers as instances")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var base = 0.0
        for threads in [1, 2] {
            let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, threads: threads))
            _ = try engine.analyze(image: image)
            let framesEach = max(2, repetitions)
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
                  + (threads > 1 ? String(format: " (%.2fx of one, %d cores)", fps / base, cores) : ""))
        }
    }

    static func measure(_ engine: FaceEngine, _ image: Image, _ repetitions: Int) throws -> FrameTiming {
        _ = try engine.analyze(image: image)
        var detect: [Double] = []
        var describe: [Double] = []
        var faces: [DescribedFace] = []
        for _ in 0..<max(1, repetitions) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let found = try engine.detect(image: image)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let descriptors = try engine.descriptors(for: found, in: image)
            let t2 = DispatchTime.now().uptimeNanoseconds
            detect.append(Double(t1 - t0) / 1e6)
            describe.append(Double(t2 - t1) / 1e6)
            faces = zip(found, descriptors).map { DescribedFace(face: $0, descriptor: $1) }
        }
        return FrameTiming(detectMs: median(detect), descriptorsMs: median(describe), faces: faces)
    }

    /// Largest box-edge deviation and descriptor distance between faces paired in order.
    static func compare(_ a: [DescribedFace], _ b: [DescribedFace]) -> (Int?, Double?) {
        guard !a.isEmpty, a.count == b.count else { return (nil, nil) }
        var box = 0
        var distance = 0.0
        for (x, y) in zip(a, b) {
            box = max(box, abs(x.face.box.left - y.face.box.left), abs(x.face.box.top - y.face.box.top),
                      abs(x.face.box.right - y.face.box.right), abs(x.face.box.bottom - y.face.box.bottom))
            distance = max(distance, x.descriptor.distance(to: y.descriptor))
        }
        return (box, distance)
    }

    static func printHeader() {
        print(pad("photo", 18) + pad("size", 11) + pad("faces", 6, right: true) + pad("detect ms", 11, right: true)
              + pad("descr ms", 10, right: true) + pad("total ms", 10, right: true) + pad("frames/s", 10, right: true))
    }

    static func printRow(_ name: String, _ image: Image, _ t: FrameTiming) {
        print(pad(name, 18) + pad("\(image.width)x\(image.height)", 11) + pad("\(t.faces.count)", 6, right: true)
              + pad(ms(t.detectMs), 11, right: true) + pad(ms(t.descriptorsMs), 10, right: true)
              + pad(ms(t.totalMs), 10, right: true) + pad(String(format: "%.2f", 1000 / t.totalMs), 10, right: true))
    }

    /// Shared objects of this process whose path contains one of `words` (which BLAS the
    /// dynamic linker actually chose, after Debian's alternatives).
    static func loadedLibraries(matching words: [String]) -> [String] {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return [] }
        var seen: [String] = []
        for line in maps.split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init),
                  path.hasPrefix("/"), words.contains(where: { path.lowercased().contains($0) }) else { continue }
            let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { path + " -> " + $0 } ?? path
            if !seen.contains(resolved) { seen.append(resolved) }
        }
        return seen
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
    final class ErrorBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var error: Error?
        func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    }
}
