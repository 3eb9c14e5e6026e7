import FaceEngine
import Foundation
import ProcessSupport
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// Frames saved by the real facegate-tap, as PPM/PGM and as PNG, read back by the loader that
/// `facegate faces check` and enrollment use: the very pixels the camera sent, the same face.
final class SavedFrameTests: XCTestCase {
    let log = Log(component: "test")

    /// `image` as a camera frame, each row padded (the tap must drop the padding).
    private func frame(_ image: Image, sequence: UInt64) -> VideoFrame {
        let rowBytes = image.width * image.format.bytesPerPixel, stride = rowBytes + 5
        var bytes = [UInt8](repeating: 0xee, count: stride * image.height)
        for row in 0..<image.height {
            bytes.replaceSubrange(row * stride..<row * stride + rowBytes, with: image.bytes[row * image.stride..<row * image.stride + rowBytes])
        }
        return VideoFrame(camera: "cam-a", sequence: sequence, captureMonotonicNs: 100, captureWallNs: 1,
                          format: image.format == .rgb24 ? .rgb24 : .gray8, width: UInt32(image.width), height: UInt32(image.height),
                          stride: UInt32(stride), pixels: PixelData(bytes))
    }

    /// Runs `facegate-tap attach --kind frame --save-frames DIR` plus `extra` while both
    /// frames pass through a control socket; returns the saved files' paths (in `dir`) by sequence.
    private func saveWithTheTap(_ frames: [VideoFrame], in dir: TemporaryDirectory, extra: [String]) throws -> [UInt64: String] {
        let path = dir.file("capture-cam-a.ctl").path
        let hub = TapHub(log: log)
        let control = ControlServer(path: path, localHello: Hello(role: .capture, name: "c", pid: 1, camera: "cam-a"),
                                    log: log, hub: hub, status: { "{}" })
        try control.start()
        defer { control.stop() }
        let saved = dir.file("frames")
        try FileManager.default.createDirectory(at: saved, withIntermediateDirectories: true)
        let tap = try ChildProcess(Paths.executable("facegate-tap"),
                                   ["attach", path, "--kind", "frame", "--count", String(frames.count), "--json",
                                    "--save-frames", saved.path] + extra, logDirectory: dir.url, name: "tap")
        defer { tap.terminate() }
        XCTAssertTrue(waitUntil(timeout: 20) { hub.subscriberCount == 1 }, tap.log)
        for frame in frames { hub.publish(.sent, peer: "broker", .frame(frame)) }
        XCTAssertEqual(tap.waitForExit(timeout: 30), 0, tap.log)
        var paths: [UInt64: String] = [:]
        for line in tap.log.split(separator: "\n") where line.hasPrefix("{") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let seq = object["seq"] as? Int, let file = object["saved"] as? String { paths[UInt64(seq)] = file }
        }
        return paths
    }

    /// What the loader gives for a grey image: each sample repeated as R, G and B.
    private func expanded(_ gray: Image) -> Image {
        Image(format: .rgb24, width: gray.width, height: gray.height, bytes: gray.bytes.flatMap { [$0, $0, $0] })
    }

    func testFramesSavedAsPPMPGMAndPNGLoadAsTheCamerasPixels() throws {
        let photo = try EngineFixture.photo("obama.jpg")
        let gray = photo.grayscale()
        let frames = [frame(photo, sequence: 1), frame(gray, sequence: 2)]

        let dir = TemporaryDirectory(prefix: "fgsave"), pngDir = TemporaryDirectory(prefix: "fgsave")
        let anymaps = try saveWithTheTap(frames, in: dir, extra: [])
        XCTAssertEqual(anymaps[1].map { URL(fileURLWithPath: $0).lastPathComponent }, "cam-a-1.ppm")
        XCTAssertEqual(anymaps[2].map { URL(fileURLWithPath: $0).lastPathComponent }, "cam-a-2.pgm")
        let pngs = try saveWithTheTap(frames, in: pngDir, extra: ["--frame-format", "png"])
        XCTAssertEqual(pngs[1].map { URL(fileURLWithPath: $0).lastPathComponent }, "cam-a-1.png")
        XCTAssertEqual(pngs[2].map { URL(fileURLWithPath: $0).lastPathComponent }, "cam-a-2.png")

        // PPM/PGM through our reader, PNG through libpng (dlib's loader): both give the pixels back.
        XCTAssertEqual(try Image(contentsOfFile: XCTUnwrap(anymaps[1])), photo)
        XCTAssertEqual(try Image(contentsOfFile: XCTUnwrap(pngs[1])), photo)
        XCTAssertEqual(try Image(contentsOfFile: XCTUnwrap(anymaps[2])), expanded(gray))
        XCTAssertEqual(try Image(contentsOfFile: XCTUnwrap(pngs[2])), expanded(gray))
        // Compressed: the PNG is much smaller than the raw samples.
        let pngSize = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: XCTUnwrap(pngs[1]))[.size] as? Int)
        XCTAssertLessThan(pngSize, photo.bytes.count / 2)

        let engine = try EngineFixture.fivePoint.get()
        let reference = try engine.analyze(image: photo)
        XCTAssertEqual(reference.count, 1)
        XCTAssertEqual(try engine.analyze(image: Image(contentsOfFile: XCTUnwrap(pngs[1]))), reference)
        XCTAssertEqual(try engine.analyze(image: Image(contentsOfFile: XCTUnwrap(anymaps[1]))), reference)
    }

    func testPortableAnymapsFromOtherToolsLoadAndBrokenOnesAreNamed() throws {
        let dir = TemporaryDirectory(prefix: "fgpnm")
        func load(_ bytes: [UInt8]) throws -> Image {
            let path = dir.file("x.ppm").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            return try Image(contentsOfFile: path)
        }
        // 16-bit samples (maxval 65535, big-endian) and a comment; a 2x1 RGB image.
        let wide = try load(Array("P6\n# GIMP\n2 1\n65535\n".utf8) + [0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0, 0, 0xff, 0xff, 0x01, 0x01])
        XCTAssertEqual(wide, Image(format: .rgb24, width: 2, height: 1, bytes: [255, 128, 0, 0, 255, 1]))
        // maxval 15: samples scaled to 0...255.
        XCTAssertEqual(try load(Array("P5 2 1 15\n".utf8) + [15, 5]), Image(format: .rgb24, width: 2, height: 1, bytes: [255, 255, 255, 85, 85, 85]))

        XCTAssertThrowsError(try load(Array("P6\n4 4\n255\n".utf8) + [1, 2, 3])) {
            XCTAssertEqual("\($0)", "cannot load image \(dir.file("x.ppm").path): PPM file is malformed: 4x4 needs 48 bytes of samples, the file has 3")
        }
        XCTAssertThrowsError(try load(Array("P5\n20000 1\n255\n".utf8) + [UInt8](repeating: 0, count: 20000))) {
            XCTAssertTrue("\($0)".contains("unsupported PGM image size 20000x1"), "\($0)")
        }
        XCTAssertThrowsError(try load(Array("P6\n4".utf8))) {
            XCTAssertTrue("\($0)".hasSuffix("PPM header is truncated"), "\($0)")
        }
    }
}
