import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// The aligned chip dlib computes each descriptor from, handed back for the broker's face
/// crops, and its JPEG: same descriptors with or without chips, a JPEG dlib's own loader reads
/// back to nearly the same pixels, clear errors for what cannot be encoded.
final class FaceChipTests: XCTestCase {
    private func analyze(_ engine: FaceEngine, _ image: Image, chips: Bool) throws -> FrameAnalysis {
        try image.bytes.withUnsafeBytes {
            try engine.analyze(pixels: $0, format: image.format, width: image.width, height: image.height, stride: image.stride,
                               chips: chips)
        }
    }

    func testChipsComeWithTheSameDescriptorsOneAFace() throws {
        let engine = try EngineFixture.fivePoint.get()
        for photo in ["two_people.jpg", "obama2.jpg"] {
            let image = try EngineFixture.photo(photo)
            let plain = try analyze(engine, image, chips: false)
            let chipped = try analyze(engine, image, chips: true)
            XCTAssertEqual(chipped.faces.map(\.descriptor), plain.faces.map(\.descriptor), photo)
            XCTAssertEqual(plain.faces.map(\.chip), plain.faces.map { _ in nil }, "no chip unless asked for")
            XCTAssertEqual(chipped.faces.count, photo == "two_people.jpg" ? 2 : 1)
            for face in chipped.faces {
                let chip = try XCTUnwrap(face.chip)
                XCTAssertEqual([chip.width, chip.height, chip.stride, chip.bytes.count], [150, 150, 450, 67_500], photo)
                XCTAssertEqual(chip.format, .rgb24)
                // The aligned face fills the chip: its centre is not the photo's background.
                XCTAssertGreaterThan(Set(chip.bytes).count, 100, photo)
            }
            if chipped.faces.count == 2 {
                XCTAssertNotEqual(chipped.faces[0].chip, chipped.faces[1].chip, "each face its own chip")
            }
        }
    }

    func testJPEGOfAChipDecodesBackCloseToItsPixels() throws {
        let engine = try EngineFixture.fivePoint.get()
        let chip = try XCTUnwrap(try analyze(engine, try EngineFixture.photo("obama2.jpg"), chips: true).faces.first?.chip)
        let dir = TemporaryDirectory(prefix: "fgchip")
        var previous = Int.max
        for quality in [95, JPEGEncoder.defaultQuality, 50] {
            let jpeg = try JPEGEncoder.encode(chip, quality: quality)
            XCTAssertEqual(Array(jpeg.prefix(3)), [0xff, 0xd8, 0xff])
            XCTAssertEqual(Array(jpeg.suffix(2)), [0xff, 0xd9])
            XCTAssertLessThan(jpeg.count, previous, "lower quality, fewer bytes")
            previous = jpeg.count
            let file = dir.file("chip-q\(quality).jpg")
            try Data(jpeg).write(to: file)
            let decoded = try Image(contentsOfFile: file.path)
            XCTAssertEqual([decoded.width, decoded.height], [150, 150])
            let error = zip(decoded.bytes, chip.bytes).map { abs(Int($0) - Int($1)) }.reduce(0, +) / chip.bytes.count
            XCTAssertLessThan(error, quality >= 85 ? 4 : 8, "mean absolute error at q\(quality)")
        }
        let made = try JPEGEncoder.chip(chip)
        XCTAssertEqual([made.width, made.height], [150, 150])
        XCTAssertEqual(made.format, .jpeg)
        XCTAssertLessThan(made.bytes.count, 15_000, "a chip at the default quality is a few kB")

        // Grey frames (a camera in gray8) encode as one channel.
        let grey = Image(format: .gray8, width: 3, height: 2, bytes: [0, 50, 100, 150, 200, 250])
        XCTAssertEqual(Array(try JPEGEncoder.encode(grey).prefix(2)), [0xff, 0xd8])
    }

    func testWhatCannotBeEncodedIsNamed() {
        let cases: [(Image, Int, JPEGEncoder.EncodeError)] = [
            (Image(format: .rgb24, width: 2, height: 2, bytes: [UInt8](repeating: 0, count: 12)), 0,
             .invalidImage("quality 0 outside 1...100")),
            (Image(format: .rgb24, width: 2, height: 2, stride: 6, bytes: [UInt8](repeating: 0, count: 11)), 85,
             .invalidImage("stride or buffer length too small for the size")),
            (Image(format: .rgb24, width: 2, height: 2, stride: 5, bytes: [UInt8](repeating: 0, count: 12)), 85,
             .invalidImage("stride or buffer length too small for the size")),
            (Image(format: .rgb24, width: 0, height: 2, stride: 3, bytes: [UInt8](repeating: 0, count: 6)), 85,
             .invalidImage("width or height outside 1...65500")),
        ]
        for (image, quality, expected) in cases {
            XCTAssertThrowsError(try JPEGEncoder.encode(image, quality: quality)) { XCTAssertEqual($0 as? JPEGEncoder.EncodeError, expected) }
        }
        XCTAssertEqual(JPEGEncoder.EncodeError.invalidImage("x").description, "cannot encode JPEG: x")
    }
}
