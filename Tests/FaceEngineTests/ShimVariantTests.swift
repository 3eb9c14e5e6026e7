import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// The shim's two compiled variants (baseline x86-64-v2 and AVX2/FMA) in one process: the same
/// boxes, scores, landmarks and descriptors on every reference photo, and a baseline object
/// that holds no AVX instruction at all.
final class ShimVariantTests: XCTestCase {
    private let descriptorTolerance: Float = 1e-5

    func testBaselineAndAVX2GiveTheSameFacesOnEveryReferencePhotoFivePoint() throws {
        try compareVariants(landmarks: .five)
    }

    func testBaselineAndAVX2GiveTheSameFacesOnEveryReferencePhotoSixtyEightPoint() throws {
        try compareVariants(landmarks: .sixtyEight)
    }

    /// The baseline alone still lands on dlib's own Python binding (reference.json).
    func testBaselineMatchesReference() throws {
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                               shimVariant: .baseline))
        XCTAssertEqual(engine.shimVariant, "baseline")
        let reference = try ReferenceFaces.load()
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let described = try engine.analyze(image: image)
            XCTAssertEqual(described.count, photo.faces.count, photo.file)
            for (i, (face, ref)) in zip(described, photo.faces).enumerated() {
                XCTAssertLessThan(referenceDistance(face.descriptor.values, ref.descriptor_5pt), 0.01, "\(photo.file)#\(i)")
            }
        }
    }

    /// The process's own choice on this machine: the fastest variant the CPU runs, and the
    /// build info says which and why (FACEGATE_SHIM is not set by the test runner).
    func testDefaultVariantIsTheFastestTheCPURunsAndBuildInfoSaysWhy() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["FACEGATE_SHIM"] != nil, "FACEGATE_SHIM set for this run")
        let engine = try EngineFixture.fivePoint.get()
        let expected = HostCPU.hasAVX2AndFMA ? "avx2" : "baseline"
        XCTAssertEqual(engine.shimVariant, expected)
        let info = FaceEngine.buildInfo
        XCTAssertTrue(info.hasPrefix("shim variant \(expected) ("), info)
        XCTAssertTrue(info.contains(HostCPU.hasAVX2AndFMA ? "the CPU has AVX2 and FMA" : "the CPU lacks"), info)
        XCTAssertTrue(info.contains("dlib 19."), info)
    }

    /// A static link of both variants would keep one copy of each inline function they share
    /// (dlib's templates, std::vector's), possibly the AVX2 one; so each variant is its own
    /// shared object. Read every instruction of the baseline's: no VEX/EVEX instruction (their
    /// mnemonics start with v: vmovaps, vfmadd231ps, ...) and no ymm/zmm register. The AVX2
    /// object is read the same way to show the check sees them when they are there.
    func testBaselineObjectHoldsNoAVXInstruction() throws {
        let baseline = try avxInstructions(in: "libFacegateDlibBaseline.so")
        XCTAssertGreaterThan(baseline.total, 100_000, "objdump read the whole baseline object")
        XCTAssertEqual(baseline.avxCount, 0, "AVX instructions in the baseline shim, first ones: \(baseline.firstAVX)")
        let avx2 = try avxInstructions(in: "libFacegateDlibAVX2.so")
        XCTAssertGreaterThan(avx2.avxCount, 1000, "the AVX2 variant is compiled with AVX2")
        XCTAssertTrue(avx2.firstAVX.contains { $0.contains("ymm") } || avx2.ymmCount > 0, "256-bit code in the AVX2 variant")
    }

    // MARK: Helpers

    private func compareVariants(landmarks: FaceEngineOptions.Landmarks) throws {
        try XCTSkipUnless(HostCPU.hasAVX2AndFMA, "this CPU cannot run the AVX2 variant")
        let baseline = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                                 landmarks: landmarks, shimVariant: .baseline))
        let avx2 = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                             landmarks: landmarks, shimVariant: .avx2))
        XCTAssertEqual(baseline.shimVariant, "baseline")
        XCTAssertEqual(avx2.shimVariant, "avx2")
        let reference = try ReferenceFaces.load()
        var faces = 0
        var worst: Float = 0
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let a = try baseline.analyze(image: image)
            let b = try avx2.analyze(image: image)
            XCTAssertEqual(a.count, photo.faces.count, "baseline \(photo.file)")
            XCTAssertEqual(a.count, b.count, photo.file)
            for (i, (x, y)) in zip(a, b).enumerated() {
                let what = "\(landmarks.rawValue)pt \(photo.file)#\(i)"
                XCTAssertEqual(x.face.detectorBox, y.face.detectorBox, what)
                XCTAssertEqual(x.face.box, y.face.box, what)
                // The HOG scores are sums the AVX2 build fuses (FMA): last-digit differences, ~5e-7.
                XCTAssertEqual(x.face.detectorScore, y.face.detectorScore, accuracy: 1e-5, what)
                XCTAssertEqual(x.face.landmarks, y.face.landmarks, what)
                let difference = zip(x.descriptor.values, y.descriptor.values).map { abs($0 - $1) }.max() ?? .infinity
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, descriptorTolerance, "\(what): largest descriptor difference")
                faces += 1
            }
        }
        XCTAssertEqual(faces, 18, "every reference face compared")
        print("shim variants \(landmarks.rawValue)pt: \(faces) faces, same boxes and landmarks, largest descriptor difference \(worst)")
    }

    private func avxInstructions(in file: String) throws -> (total: Int, avxCount: Int, ymmCount: Int, firstAVX: [String]) {
        let path = Paths.productsDirectory.appendingPathComponent(file).path
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(path) (built by swift build --build-tests)")
        let dir = TemporaryDirectory(prefix: "fgshim")
        let listing = dir.file("objdump.txt")
        let objdump = Process()
        objdump.executableURL = URL(fileURLWithPath: "/usr/bin/objdump")
        objdump.arguments = ["-d", "--no-show-raw-insn", "--no-addresses", path]
        _ = FileManager.default.createFile(atPath: listing.path, contents: nil)
        objdump.standardOutput = try FileHandle(forWritingTo: listing)
        try objdump.run()
        objdump.waitUntilExit()
        XCTAssertEqual(objdump.terminationStatus, 0, "objdump -d \(path)")
        var total = 0, avxCount = 0, ymmCount = 0
        var firstAVX: [String] = []
        for line in try String(contentsOf: listing, encoding: .utf8).split(separator: "\n") {
            // Instruction lines start with a tab: "\tvmovaps %ymm0,(%rax)".
            guard line.first == "\t" else { continue }
            let instruction = line.trimmingCharacters(in: .whitespaces)
            total += 1
            let mnemonic = instruction.prefix { !$0.isWhitespace }
            let vex = mnemonic.hasPrefix("v") && !["verr", "verw"].contains(mnemonic) && !mnemonic.hasPrefix("vm")
            let wide = instruction.contains("%ymm") || instruction.contains("%zmm")
            if wide { ymmCount += 1 }
            if vex || wide {
                avxCount += 1
                if firstAVX.count < 20 { firstAVX.append(instruction) }
            }
        }
        return (total, avxCount, ymmCount, firstAVX)
    }
}

/// This machine's CPU as the kernel reports it.
enum HostCPU {
    static let hasAVX2AndFMA: Bool = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
    }()
}
