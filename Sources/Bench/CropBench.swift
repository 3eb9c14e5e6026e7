import FaceEngine
import Foundation
import Vocabulary

/// What keeping a face crop costs, per face, side by side in one run: the chip raw (what dlib
/// hands back) and as JPEG at three qualities, bytes and encode time, next to the time the
/// descriptor of the same face takes. The figures behind JPEGEncoder's choice and
/// `[crops] max_total_mb`'s default.
enum CropBench {
    static let photos = ["obama.jpg", "obama2.jpg", "biden.jpg", "biden2.jpg", "lin-manuel-miranda.png", "alex-lacamoire.png",
                         "two_people.jpg", "obama-720p.jpg"]
    static let qualities = [75, JPEGEncoder.defaultQuality, 95]

    static func run(facesDirectory: String, modelsDirectory: String, repetitions: Int = 21) throws {
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory))
        var chips: [Image] = []
        var descriptorMs: [Double] = []
        for name in photos {
            let image = try Image(contentsOfFile: facesDirectory + "/" + name)
            func analyze() throws -> FrameAnalysis {
                try image.bytes.withUnsafeBytes {
                    try engine.analyze(pixels: $0, format: image.format, width: image.width, height: image.height,
                                       stride: image.stride, chips: true)
                }
            }
            _ = try analyze() // the network's first pass allocates; time the second
            let analysis = try analyze()
            chips += analysis.faces.compactMap(\.chip)
            if !analysis.faces.isEmpty { descriptorMs.append(Double(analysis.descriptorMicros) / 1000 / Double(analysis.faces.count)) }
        }
        print("== face crops: \(chips.count) chips (150x150 RGB) from \(photos.count) reference photos;"
              + " median of \(repetitions) encodes per chip, medians over the chips")
        print("   format        bytes/crop (min-max)    encode ms/crop   crops in 200 MB")
        let raw = FaceChip.side * FaceChip.side * 3
        print("   " + pad("raw rgb", 14) + pad("\(raw)", 24) + pad("0", 17) + "\(200_000_000 / raw)")
        for quality in qualities {
            var sizes: [Int] = []
            var times: [Double] = []
            for chip in chips {
                var encoded: [UInt8] = []
                var runs: [Double] = []
                for _ in 0..<repetitions {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    encoded = try JPEGEncoder.encode(chip, quality: quality)
                    runs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
                sizes.append(encoded.count)
                times.append(median(runs))
            }
            let size = Int(median(sizes.map(Double.init)))
            print("   " + pad("jpeg q\(quality)", 14) + pad("\(size) (\(sizes.min()!)-\(sizes.max()!))", 24)
                  + pad(String(format: "%.3f", median(times)), 17) + "\(200_000_000 / size)")
        }
        print(String(format: "   descriptor of the same faces: %.1f ms/face (median over the photos), for scale", median(descriptorMs)))
        print("   (a stranger's crop also keeps its 512-byte descriptor, not counted above)")
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    private static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
}
