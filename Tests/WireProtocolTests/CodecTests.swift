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
        result[result.count - 5] = 0x7f; result[result.count - 4] = 0xc0 // NaN (the landmark count follows)
        expect(result, field: "result.face[0].descriptor[127]")
        for count: UInt8 in [5, 67, 69, 0xff] {
            result = body("result")
            result[result.count - 1] = count
            expect(result, field: "result.face[0].landmarks")
        }
        var shaped = body("result-landmarks")
        shaped[shaped.count - 4] = 0x7f; shaped[shaped.count - 3] = 0xc0 // last y NaN
        expect(shaped, field: "result.face[1].landmark[67].y")
        shaped = body("result-landmarks")
        let firstX = shaped.count - 68 * 8
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

    /// A version 1 result (no landmark count after the descriptor) does not pass for a
    /// version 2 one: the decoder names the missing field.
    func testVersion1ResultLayoutIsRefused() {
        var v1 = Array(Golden.bytes(Golden.vectors.first { $0.name == "result" }!.hex).dropFirst(4))
        v1.removeLast()
        XCTAssertThrowsError(try MessageCodec.decodeBody(v1)) { error in
            XCTAssertEqual(error as? WireError, .truncated(field: "result.face[0].landmarks", needed: 1, available: 0))
        }
    }

    /// The goldens' hellos speak the current version: a bump without new vectors fails here.
    func testGoldenHellosCarryTheCurrentVersion() {
        XCTAssertEqual(wireProtocolVersion, 2)
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
