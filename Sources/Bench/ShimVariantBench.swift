import FaceEngine
import Foundation
import Vocabulary

/// The shim's two compiled variants side by side in one run: the same frames through an
/// engine forced onto the baseline (x86-64-v2) and one forced onto AVX2/FMA, measured
/// interleaved, with how far apart their results are (they must agree: same boxes, descriptors
/// within 1e-5). Part of `facegate-bench engine`; alone as `facegate-bench shims`.
enum ShimVariantBench {
    static func run(facesDirectory: String, modelsDirectory: String, repetitions: Int = 7) throws {
        let photos = try EngineBench.framePhotos.map { ($0, try Image(contentsOfFile: facesDirectory + "/" + $0)) }
        print("== shim variants: the same engine on dlib's code compiled for x86-64-v2 (baseline) and for AVX2/FMA")
        print("   this process would run: \(FaceEngine.buildInfo)")
        print("   HOG upsample 1, 5-point landmarks, full resolution, 1 instance; median of \(repetitions) interleaved runs")
        var configurations: [EngineBench.Configuration] = []
        for variant in FaceEngineOptions.ShimVariant.allCases {
            do {
                let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, shimVariant: variant))
                configurations.append(EngineBench.Configuration(label: variant.rawValue, engine: engine))
            } catch {
                print("   \(variant.rawValue): not measured: \(error)")
            }
        }
        guard configurations.count == 2 else { return }
        print(EngineBench.pad("photo", 18) + EngineBench.pad("faces", 7, right: true)
              + EngineBench.pad("baseline ms", 13, right: true) + EngineBench.pad("(detect)", 10, right: true)
              + EngineBench.pad("avx2 ms", 10, right: true) + EngineBench.pad("(detect)", 10, right: true)
              + EngineBench.pad("avx2 speed-up", 15, right: true) + EngineBench.pad("same boxes", 12, right: true)
              + EngineBench.pad("max descr diff", 16, right: true))
        for (name, image) in photos {
            let timings = try EngineBench.measureInterleaved(configurations, image, repetitions)
            let base = timings["baseline"]!, avx2 = timings["avx2"]!
            let sameBoxes = base.faces.map(\.face.detectorBox) == avx2.faces.map(\.face.detectorBox)
            var difference: Float = 0
            for (a, b) in zip(base.faces, avx2.faces) {
                difference = max(difference, zip(a.descriptor.values, b.descriptor.values).map { abs($0 - $1) }.max() ?? 0)
            }
            print(EngineBench.pad(name, 18) + EngineBench.pad("\(base.faces.count)", 7, right: true)
                  + EngineBench.pad(EngineBench.ms(base.totalMs), 13, right: true)
                  + EngineBench.pad(EngineBench.ms(base.detectMs), 10, right: true)
                  + EngineBench.pad(EngineBench.ms(avx2.totalMs), 10, right: true)
                  + EngineBench.pad(EngineBench.ms(avx2.detectMs), 10, right: true)
                  + EngineBench.pad(String(format: "%.2fx", base.totalMs / avx2.totalMs), 15, right: true)
                  + EngineBench.pad(sameBoxes && base.faces.count == avx2.faces.count ? "yes" : "NO", 12, right: true)
                  + EngineBench.pad(String(format: "%.1e", difference), 16, right: true))
        }
        print("   speed-up: baseline ms / avx2 ms for detection + descriptors. The descriptor's ResNet runs in"
              + " Debian's libdlib on OpenBLAS (which picks its kernels for the CPU itself) in both variants.")
    }
}
