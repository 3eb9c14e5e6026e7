import TestSupport
import Vocabulary
import XCTest
@testable import WireProtocol

final class CodecTests: XCTestCase {
    func testEveryKindHasAGoldenVector() {
        let covered = Set(Golden.vectors.map { $0.message.kind })
        XCTAssertEqual(covered, Set(MessageKind.allCases))
    }

    func testEncodingMatchesGoldenBytes() {
        for (name, message, hex) in Golden.vectors {
            XCTAssertEqual(MessageCodec.encodeFrame(message), Golden.bytes(hex), name)
        }
    }

    func testGoldenBytesDecodeToTheMessage() throws {
        for (name, message, hex) in Golden.vectors {
            var decoder = FrameDecoder()
            try decoder.append(Golden.bytes(hex))
            XCTAssertEqual(try decoder.nextMessage(), message, name)
            XCTAssertNil(try decoder.nextMessage(), name)
        }
    }

    func testTapEventEncoderStripsPixels() {
        let body = MessageCodec.encodeTapEvent(monotonicNs: 1, direction: .sent, peer: "r",
                                               message: .frame(Golden.grayFrame), stripPixels: true)
        XCTAssertEqual(body, Array(Golden.bytes(Golden.vectors.first { $0.name == "tap-event" }!.hex).dropFirst(4)))
    }

    /// Cut every golden frame at every byte: the streaming decoder must wait for more, and the
    /// body decoder must name a truncated field — never yield a message, never trap.
    func testTruncationAtEveryOffset() throws {
        for (name, _, hex) in Golden.vectors {
            let frame = Golden.bytes(hex)
            for cut in 0..<frame.count {
                var decoder = FrameDecoder()
                try decoder.append(Array(frame[0..<cut]))
                XCTAssertNil(decoder.nextBody(), "\(name) cut at \(cut)")
            }
            let body = Array(frame.dropFirst(4))
            for cut in 0..<body.count {
                XCTAssertThrowsError(try MessageCodec.decodeBody(Array(body[0..<cut])), "\(name) body cut at \(cut)") { error in
                    guard let wire = error as? WireError else { return XCTFail("untyped error \(error)") }
                    switch wire {
                    case .truncated, .invalidField: break // a cut inside a length can also make a field invalid
                    default: XCTFail("\(name) cut at \(cut): unexpected \(wire)")
                    }
                }
            }
        }
    }

    func testTruncationErrorNamesTheField() {
        let body = Array(Golden.bytes(Golden.vectors.first { $0.name == "frame" }!.hex).dropFirst(4))
        XCTAssertThrowsError(try MessageCodec.decodeBody(Array(body[0..<20]))) { error in
            XCTAssertEqual(error as? WireError, .truncated(field: "frame.capture_mono_ns", needed: 8, available: 7))
        }
    }

    /// Any chunking of the same stream yields the same messages.
    func testStreamingDecoderAcceptsAnyChunking() throws {
        let stream = Golden.vectors.flatMap { Golden.bytes($0.hex) }
        var rng = SplitMix64(seed: 7)
        for round in 0..<200 {
            var decoder = FrameDecoder()
            var decoded: [Message] = []
            var offset = 0
            while offset < stream.count {
                let n = round == 0 ? 1 : Int(rng.next() % 97) + 1
                let end = min(stream.count, offset + n)
                try decoder.append(Array(stream[offset..<end]))
                while let m = try decoder.nextMessage() { decoded.append(m) }
                offset = end
            }
            XCTAssertEqual(decoded, Golden.vectors.map(\.message), "round \(round)")
        }
    }

    func testOversizeLengthIsRejectedBeforeAllocation() {
        var decoder = FrameDecoder(maxBodyLength: 1024)
        XCTAssertThrowsError(try decoder.append([0xff, 0xff, 0xff, 0xff])) { error in
            XCTAssertEqual(error as? WireError, .frameTooLarge(length: 0xffff_ffff, limit: 1024))
        }
        var exact = FrameDecoder(maxBodyLength: 5)
        XCTAssertNoThrow(try exact.append([0, 0, 0, 5]))
        var over = FrameDecoder(maxBodyLength: 5)
        XCTAssertThrowsError(try over.append([0, 0, 0, 6]))
    }

    func testZeroLengthIsRejected() {
        var decoder = FrameDecoder()
        XCTAssertThrowsError(try decoder.append([0, 0, 0, 0])) { XCTAssertEqual($0 as? WireError, .emptyFrame) }
    }

    func testInvalidFieldsAreNamed() {
        func body(_ name: String) -> [UInt8] { Array(Golden.bytes(Golden.vectors.first { $0.name == name }!.hex).dropFirst(4)) }
        func expect(_ bytes: [UInt8], field: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try MessageCodec.decodeBody(bytes), file: file, line: line) { error in
                guard case let .invalidField(got, _)? = error as? WireError else {
                    return XCTFail("expected invalidField(\(field)), got \(error)", file: file, line: line)
                }
                XCTAssertEqual(got, field, file: file, line: line)
            }
        }
        var frame = body("frame")
        frame[29] = 9 // format
        expect(frame, field: "frame.format")
        frame = body("frame")
        frame[33] = 0 // width 2 -> 0
        expect(frame, field: "frame.width")
        frame = body("frame")
        frame[41] = 1 // stride 2 -> 1 < width
        expect(frame, field: "frame.stride")
        frame = body("frame")
        frame[45] = 3 // pixel_len 4 -> 3
        expect(frame, field: "frame.pixel_len")
        var hello = body("hello")
        hello[3] = 9 // role
        expect(hello, field: "hello.role")
        var credit = body("credit")
        credit[4] = 0 // count 3 -> 0
        expect(credit, field: "credit.count")
        var result = body("result")
        // The landmark count and the chip format follow the descriptor.
        result[result.count - 6] = 0x7f; result[result.count - 5] = 0xc0 // NaN
        expect(result, field: "result.face[0].descriptor[127]")
        for count: UInt8 in [5, 67, 69, 0xff] {
            result = body("result")
            result[result.count - 2] = count
            expect(result, field: "result.face[0].landmarks")
        }
        var shaped = body("result-landmarks")
        shaped[shaped.count - 5] = 0x7f; shaped[shaped.count - 4] = 0xc0 // last y NaN (the chip format follows)
        expect(shaped, field: "result.face[1].landmark[67].y")
        shaped = body("result-landmarks")
        let firstX = shaped.count - 1 - 68 * 8
        XCTAssertEqual(shaped[firstX - 1], 68, "the count byte precedes the points")
        shaped.replaceSubrange(firstX..<firstX + 4, with: [0x7f, 0x80, 0, 0]) // +infinity
        expect(shaped, field: "result.face[1].landmark[0].x")
        var snapshotFlags = body("detect-landmarks")
        XCTAssertEqual(snapshotFlags[17], 2)
        snapshotFlags[17] = 4 // bit 2 unknown
        expect(snapshotFlags, field: "detect.snapshot.flags")
        var camera = body("frame")
        camera[3] = 0x20 // space inside the camera id
        expect(camera, field: "frame.camera")
        var utf8 = body("error")
        utf8[utf8.count - 1] = 0xff
        expect(utf8, field: "error.text")
        var motion = body("motion")
        motion[5] = 3 // flags: bit 1 unknown
        expect(motion, field: "motion.flags")
        motion = body("motion")
        motion[1] = 0; motion[2] = 0 // camera "" → and the rest shifts: the empty id is named first
        expect(Array(motion.prefix(3)) + Array(motion.dropFirst(5)), field: "motion.camera")
    }

    /// Version 2's additions decode to what was sent: landmarks only on the face that carried
    /// them, the snapshot's wish only where its bit was set.
    func testLandmarksAndTheWishDecodeWhereSent() throws {
        func decoded(_ name: String) throws -> Message {
            try MessageCodec.decodeBody(Array(Golden.bytes(Golden.vectors.first { $0.name == name }!.hex).dropFirst(4)))
        }
        guard case let .result(shaped) = try decoded("result-landmarks") else { return XCTFail("not a result") }
        XCTAssertNil(shaped.faces[0].landmarks)
        XCTAssertEqual(shaped.faces[1].landmarks, Golden.landmarks)
        XCTAssertEqual(shaped.faces[1].landmarks?[67], LandmarkPoint(x: 1.5, y: 2))
        guard case let .result(plain) = try decoded("result") else { return XCTFail("not a result") }
        XCTAssertNil(plain.faces[0].landmarks)
        guard case let .detect(wanted) = try decoded("detect-landmarks"), case let .detect(unwanted) = try decoded("detect") else {
            return XCTFail("not a detect")
        }
        XCTAssertTrue(wanted.snapshot.landmarksWanted)
        XCTAssertFalse(wanted.snapshot.motion)
        XCTAssertFalse(unwanted.snapshot.landmarksWanted)
        XCTAssertTrue(unwanted.snapshot.motion)
    }

    /// A version 1 result (no landmark count after the descriptor) or a version 2 one (no
    /// chip format after the landmarks) does not pass for a version 3 one: the decoder names
    /// the missing field.
    func testVersion1And2ResultLayoutsAreRefused() {
        var v2 = Array(Golden.bytes(Golden.vectors.first { $0.name == "result" }!.hex).dropFirst(4))
        v2.removeLast()
        XCTAssertThrowsError(try MessageCodec.decodeBody(v2)) { error in
            XCTAssertEqual(error as? WireError, .truncated(field: "result.face[0].chip_format", needed: 1, available: 0))
        }
        var v1 = v2
        v1.removeLast()
        XCTAssertThrowsError(try MessageCodec.decodeBody(v1)) { error in
            XCTAssertEqual(error as? WireError, .truncated(field: "result.face[0].landmarks", needed: 1, available: 0))
        }
    }

    /// Version 3's addition: the chip decodes on the face that carried it, and nothing else
    /// passes for one.
    func testChipDecodesWhereSentAndBadChipsAreNamed() throws {
        let golden = Array(Golden.bytes(Golden.vectors.first { $0.name == "result-chip" }!.hex).dropFirst(4))
        guard case let .result(result) = try MessageCodec.decodeBody(golden) else { return XCTFail("not a result") }
        XCTAssertEqual(result.faces[0].chip, FaceChip(format: .jpeg, width: 150, height: 2, bytes: [0xff, 0xd8, 0xff, 0xd9]))
        guard case let .result(plain) = try MessageCodec.decodeBody(Array(Golden.bytes(
            Golden.vectors.first { $0.name == "result-landmarks" }!.hex).dropFirst(4))) else { return XCTFail("not a result") }
        XCTAssertEqual(plain.faces.map(\.chip), [nil, nil])

        // The chip's fields start 11 bytes before the end: format, width, height, length, 4 bytes.
        let at = golden.count - 13
        func mutated(_ offset: Int, _ bytes: [UInt8]) -> [UInt8] {
            var body = golden
            body.replaceSubrange((at + offset)..<(at + offset + bytes.count), with: bytes)
            return body
        }
        let cases: [([UInt8], WireError)] = [
            (mutated(0, [0x02]), .invalidField(field: "result.face[0].chip_format", reason: "unknown chip format 2")),
            (mutated(1, [0x00, 0x00]), .invalidField(field: "result.face[0].chip.width", reason: "0 not in 1...1024")),
            (mutated(3, [0x04, 0x01]), .invalidField(field: "result.face[0].chip.height", reason: "1025 not in 1...1024")),
            (mutated(5, [0, 0, 0, 0]), .invalidField(field: "result.face[0].chip_len", reason: "0 not in 1...262144")),
            (mutated(5, [0, 4, 0, 1]), .invalidField(field: "result.face[0].chip_len", reason: "262145 not in 1...262144")),
            (mutated(5, [0, 0, 0, 5]), .truncated(field: "result.face[0].chip", needed: 5, available: 4)),
            (mutated(9, [0x89, 0x50]), .invalidField(field: "result.face[0].chip", reason: "a jpeg chip that does not start FF D8 FF")),
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try MessageCodec.decodeBody(body)) { XCTAssertEqual($0 as? WireError, expected) }
        }
    }

    /// The goldens' hellos speak the current version: a bump without new vectors fails here.
    func testGoldenHellosCarryTheCurrentVersion() {
        XCTAssertEqual(wireProtocolVersion, 3)
        for (name, message, _) in Golden.vectors {
            if case let .hello(h) = message { XCTAssertEqual(h.version, wireProtocolVersion, name) }
        }
    }

    func testUnknownKindAndTrailingBytes() {
        XCTAssertThrowsError(try MessageCodec.decodeBody([0x7f])) { XCTAssertEqual($0 as? WireError, .unknownKind(0x7f)) }
        XCTAssertThrowsError(try MessageCodec.decodeBody([0x0a, 0x00])) {
            XCTAssertEqual($0 as? WireError, .trailingBytes(kind: "status-request", count: 1))
        }
    }

    func testLargeRGBFrameRoundTrips() throws {
        let width: UInt32 = 641, height: UInt32 = 480, stride: UInt32 = 1924 // 641*3 padded to 4
        let pixels = (0..<Int(stride * height)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = VideoFrame(camera: "cam-a", sequence: 1, captureMonotonicNs: 5, captureWallNs: 6, format: .rgb24,
                               width: width, height: height, stride: stride, pixels: PixelData(pixels))
        var decoder = FrameDecoder()
        try decoder.append(MessageCodec.encodeFrame(.frame(frame)))
        XCTAssertEqual(try decoder.nextMessage(), .frame(frame))
    }
}
