import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// One frame's HOG scan on several threads (`FaceEngineOptions.frameThreads`), and our own
/// scan (fHOG and filter convolutions of fg_hog_*.h) on one: exactly the faces of dlib's own
/// single-threaded scan, to the last bit of every score, on every reference photo, at full
/// resolution and through the capped-width route, in both shim variants.
final class FrameThreadsTests: XCTestCase {
    func testTwoAndThreeThreadsFindExactlyTheSingleThreadedFacesOnEveryReferencePhoto() throws {
        try compare(maxDetectWidth: nil, shimVariant: nil, threads: [2, 3])
    }

    /// A 1280-wide frame capped at 640 (upsample 1) is scanned as it is, without the
    /// pyramid_up: the other entry into the scan; 1080p goes through the downscale.
    func testCappedWidthRouteIsTheSameOnTwoThreads() throws {
        try compare(maxDetectWidth: 640, shimVariant: nil, threads: [2])
    }

    func testBaselineVariantIsTheSameOnTwoThreads() throws {
        try compare(maxDetectWidth: nil, shimVariant: .baseline, threads: [2])
    }

    /// Our scan (fg_hog_filters.h's convolutions, the level loop of hog_scan) against dlib's own
    /// object_detector::operator(), which FACEGATE_HOG_SCAN=dlib selects: the same faces and
    /// scores to the bit, on one thread and two, in both variants, both routes.
    func testOurScanIsDlibsScanToTheBitOnEveryReferencePhoto() throws {
        for variant in [FaceEngineOptions.ShimVariant.avx2, .baseline] {
            for width in [nil, 640] as [Int?] {
                try compare(maxDetectWidth: width, shimVariant: variant, threads: [1, 2], referenceScan: "dlib")
            }
        }
    }

    func testUnknownHogScanIsAClearError() {
        setenv("FACEGATE_HOG_SCAN", "fast", 1)
        defer { unsetenv("FACEGATE_HOG_SCAN") }
        XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory))) {
            XCTAssertTrue("\($0)".contains("FACEGATE_HOG_SCAN=fast: expected dlib or facegate"), "\($0)")
        }
    }

    /// The workers exist: an engine with frameThreads 3 holds two more threads in the process
    /// than before it was made, and gives them back when it goes.
    func testEngineKeepsItsWorkersAndStopsThem() throws {
        // Loading the shim starts OpenBLAS's threads: count after a first engine has done it.
        _ = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory))
        let before = threadCount()
        var engine: FaceEngine? = try FaceEngine(options: FaceEngineOptions(
            modelsDirectory: EngineFixture.modelsDirectory, frameThreads: 3))
        XCTAssertEqual(threadCount() - before, 2, "workers of a 3-thread engine")
        _ = try engine?.detect(image: EngineFixture.photo("obama-480p.jpg"))
        engine = nil
        XCTAssertEqual(threadCount(), before, "workers joined when the engine is destroyed")
    }

    func testFrameThreadsOutOfRangeIsAClearError() {
        for bad in [0, 17] {
            XCTAssertThrowsError(try FaceEngine(options: FaceEngineOptions(
                modelsDirectory: EngineFixture.modelsDirectory, frameThreads: bad))) { error in
                XCTAssertTrue("\(error)".contains("frame threads \(bad) outside 1...16"), "\(error)")
            }
        }
    }

    // MARK: Helpers

    /// The faces of `threads`-thread engines against a one-thread engine's (made with
    /// FACEGATE_HOG_SCAN=referenceScan when given).
    private func compare(maxDetectWidth: Int?, shimVariant: FaceEngineOptions.ShimVariant?, threads: [Int],
                         referenceScan: String? = nil) throws {
        func engine(_ frameThreads: Int) throws -> FaceEngine {
            try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                      maxDetectWidth: maxDetectWidth, shimVariant: shimVariant,
                                                      frameThreads: frameThreads))
        }
        if let scan = referenceScan { setenv("FACEGATE_HOG_SCAN", scan, 1) }
        let single: FaceEngine
        do {
            defer { unsetenv("FACEGATE_HOG_SCAN") }
            single = try engine(1)
        }
        let parallel = try threads.map { ($0, try engine($0)) }
        let reference = try ReferenceFaces.load()
        var faces = 0, referenceFaces = 0
        for photo in reference.images {
            let image = try EngineFixture.photo(photo.file)
            let expected = try single.detect(image: image)
            referenceFaces += photo.faces.count
            if maxDetectWidth == nil { XCTAssertEqual(expected.count, photo.faces.count, photo.file) }
            for (n, engine) in parallel {
                let got = try engine.detect(image: image)
                XCTAssertEqual(got.count, expected.count, "\(n) threads, \(photo.file)")
                for (i, (x, y)) in zip(expected, got).enumerated() {
                    let what = "\(n) threads, \(photo.file)#\(i)"
                    XCTAssertEqual(x.detectorBox, y.detectorBox, what)
                    XCTAssertEqual(x.detectorScore.bitPattern, y.detectorScore.bitPattern,
                                   "\(what): score \(x.detectorScore) vs \(y.detectorScore)")
                    XCTAssertEqual(x.landmarks, y.landmarks, what)
                }
            }
            faces += expected.count
        }
        if maxDetectWidth == nil { XCTAssertEqual(faces, referenceFaces, "every reference face compared") }
        XCTAssertGreaterThan(faces, 10, "faces compared")
    }

    private func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
    }
}
