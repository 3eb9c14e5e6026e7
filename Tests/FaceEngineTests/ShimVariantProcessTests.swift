import FaceEngine
import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// The real facegate-recognizer choosing its shim variant: what it logs, FACEGATE_SHIM forcing
/// one, a bad value named, and a CPU without AVX emulated by qemu (`-cpu Nehalem`), on which the
/// recognizer picks the baseline by itself and answers a real frame (an AVX instruction
/// anywhere on that path would be a SIGILL there), while asking for avx2 is a refusal.
final class ShimVariantProcessTests: XCTestCase {
    private let qemu = URL(fileURLWithPath: "/usr/bin/qemu-x86_64")

    func testRecognizerLogsTheVariantItRunsAndWhy() throws {
        for (environment, variant, why) in [
            (["FACEGATE_SHIM": "baseline"], "baseline", "FACEGATE_SHIM=baseline"),
            (["FACEGATE_SHIM": "auto"], HostCPU.hasAVX2AndFMA ? "avx2" : "baseline",
             HostCPU.hasAVX2AndFMA ? "the CPU has AVX2 and FMA" : "the CPU lacks"),
        ] {
            let dir = TemporaryDirectory(prefix: "fgshim")
            let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
            let recognizer = try startRecognizer(socket: broker.path, dir: dir, environment: environment)
            defer { recognizer.terminate() }
            let connection = try broker.accept()
            XCTAssertEqual(try broker.nextCredit(connection), 1)
            let start = recognizer.lines(containing: "msg=\"facegate-recognizer starting\"")
            XCTAssertTrue(start.first?.contains("engine=\"shim variant \(variant) (\(why)") ?? false, recognizer.log)
            XCTAssertEqual(recognizer.lines(containing: "shim=\(variant) ", "msg=\"face engine ready\"").count, 1, recognizer.log)
            try expectSameFaces(as: variant == "avx2" ? .avx2 : .baseline, broker: broker, connection: connection)
        }
    }

    func testUnknownVariantNameStopsTheRecognizerNamingIt() throws {
        let dir = TemporaryDirectory(prefix: "fgshim")
        let recognizer = try startRecognizer(socket: dir.file("r.sock").path, dir: dir, environment: ["FACEGATE_SHIM": "sse9"])
        XCTAssertEqual(recognizer.waitForExit(timeout: 30), 1, recognizer.log)
        XCTAssertTrue(recognizer.log.contains("FACEGATE_SHIM=sse9 is not a shim variant: expected baseline, avx2 or auto"),
                      recognizer.log)
    }

    func testOnACPUWithoutAVXTheBaselineIsChosenAndAnswersAFrame() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: qemu.path), "qemu-user missing: run scripts/setup.sh")
        let dir = TemporaryDirectory(prefix: "fgshim")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, environment: [:], emulatedCPU: "Nehalem")
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1)
        XCTAssertEqual(recognizer.lines(containing: "engine=\"shim variant baseline (the CPU lacks AVX2)").count, 1, recognizer.log)
        XCTAssertEqual(recognizer.lines(containing: "shim=baseline ", "msg=\"face engine ready\"").count, 1, recognizer.log)
        try expectSameFaces(as: .baseline, broker: broker, connection: connection)
        XCTAssertTrue(recognizer.isRunning, "no SIGILL on the baseline path:\n\(recognizer.log)")
    }

    func testAskingForAVX2OnACPUWithoutItIsARefusalNotASIGILL() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: qemu.path), "qemu-user missing: run scripts/setup.sh")
        let dir = TemporaryDirectory(prefix: "fgshim")
        let recognizer = try startRecognizer(socket: dir.file("r.sock").path, dir: dir,
                                             environment: ["FACEGATE_SHIM": "avx2"], emulatedCPU: "Nehalem")
        XCTAssertEqual(recognizer.waitForExit(timeout: 60), 1, recognizer.log)
        XCTAssertTrue(recognizer.log.contains("FACEGATE_SHIM=avx2: shim variant avx2 needs AVX2, which this CPU lacks"),
                      recognizer.log)
    }

    // MARK: Helpers

    /// One reference photo through the recognizer: the faces the in-process engine on `variant`
    /// finds, box for box, descriptor within 1e-5.
    private func expectSameFaces(as variant: FaceEngineOptions.ShimVariant, broker: TestBrokerPeer,
                                 connection: MessageConnection) throws {
        let image = try EngineFixture.photo("obama-240p.jpg")
        try connection.send(.detect(makeDetect(image: image)))
        let result = try broker.nextResult(connection)
        let engine = try FaceEngine(options: FaceEngineOptions(modelsDirectory: EngineFixture.modelsDirectory,
                                                               shimVariant: variant))
        let expected = try engine.analyze(image: image).map(\.detected)
        XCTAssertEqual(result.faces.count, 1)
        XCTAssertEqual(result.faces.map(\.box), expected.map(\.box))
        for (got, want) in zip(result.faces, expected) {
            let difference = zip(got.descriptor.values, want.descriptor.values).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, 1e-5, "descriptor from the recognizer vs in-process \(variant)")
        }
    }

    private func startRecognizer(socket: String, dir: TemporaryDirectory, environment: [String: String],
                                 emulatedCPU: String? = nil) throws -> ChildProcess {
        let recognizer = Paths.executable("facegate-recognizer")
        let arguments = ["--socket", socket, "--models", Paths.modelsDirectory.path, "--name", "shim",
                         "--heartbeat-seconds", "0.5"]
        // Without FACEGATE_SHIM in `environment` the child must not inherit one from the runner.
        var env = environment
        if env["FACEGATE_SHIM"] == nil { env["FACEGATE_SHIM"] = "" }
        if let cpu = emulatedCPU {
            return try ChildProcess(qemu, ["-cpu", cpu, recognizer.path] + arguments, environment: env,
                                    logDirectory: dir.url, name: "facegate-recognizer")
        }
        return try ChildProcess(recognizer, arguments, environment: env, logDirectory: dir.url)
    }

    private func makeDetect(image: Image) -> Detect {
        let captured = MonotonicClock.nowNanoseconds()
        let frame = VideoFrame(camera: "cam-a", sequence: 1, captureMonotonicNs: captured,
                               captureWallNs: WallClock.nowNanoseconds(), format: .rgb24, width: UInt32(image.width),
                               height: UInt32(image.height), stride: UInt32(image.stride), pixels: PixelData(image.bytes))
        return Detect(txn: 1, snapshot: Snapshot(captureMonotonicNs: captured, motion: false,
                                                 sessions: [SnapshotSession(sessionID: 7, lock: "DC001")]),
                      frame: frame)
    }
}
