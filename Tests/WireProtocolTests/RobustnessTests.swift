import TestSupport
import XCTest
@testable import WireProtocol

/// Hostile bytes: nothing may trap or hang, every failure is a typed `WireError`, and what
/// does decode is canonical (re-encodes to exactly the bytes received).
final class RobustnessTests: XCTestCase {
    static let mutationCount = 100_000

    func testMutatedValidFramesNeverTrapAndDecodeCanonically() {
        let bodies = Golden.vectors.map { Array(Golden.bytes($0.hex).dropFirst(4)) }
        var rng = SplitMix64(seed: 0xFACE)
        var decodedCount = 0, rejected = 0
        for i in 0..<Self.mutationCount {
            var body = bodies[i % bodies.count]
            WireMutator.mutate(&body, &rng)
            do {
                let message = try MessageCodec.decodeBody(body)
                decodedCount += 1
                XCTAssertEqual(MessageCodec.encodeBody(message), body, "mutation \(i) decoded but is not canonical")
            } catch is WireError {
                rejected += 1
            } catch {
                XCTFail("mutation \(i): untyped error \(error)")
            }
        }
        // Both outcomes must occur, or the mutator is not exercising the decoder.
        XCTAssertGreaterThan(decodedCount, 1000)
        XCTAssertGreaterThan(rejected, 10_000)
    }

    func testRandomGarbageStreams() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<2_000 {
            var decoder = FrameDecoder(maxBodyLength: 4096)
            let length = Int(rng.next() % 600)
            let garbage = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            do {
                try decoder.append(garbage)
                while let body = decoder.nextBody() {
                    XCTAssertLessThanOrEqual(body.count, 4096)
                    _ = try? MessageCodec.decodeBody(body)
                }
            } catch let error as WireError {
                switch error {
                case .frameTooLarge, .emptyFrame: break
                default: XCTFail("round \(round): unexpected \(error)")
                }
            } catch {
                XCTFail("round \(round): untyped error \(error)")
            }
        }
    }
}
