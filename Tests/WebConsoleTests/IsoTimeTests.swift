import Foundation
import XCTest
@testable import WebConsole

/// The pages' and the API's times, computed without a date formatter: the same text
/// ISO8601DateFormatter gives, across leap days, centuries and before 1970.
final class IsoTimeTests: XCTestCase {
    func testMatchesTheFoundationFormatterOnWholeMilliseconds() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        reference.timeZone = TimeZone(identifier: "UTC")
        var samples: [Int64] = [0, 1_764_000_000_123, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, -1, -86_400_000,
                                -2_208_988_800_000, 1_709_164_800_000, 7_258_118_400_000]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(x >> 24) % 8_000_000_000_000 - 2_000_000_000_000)
        }
        for ms in samples {
            let expected = reference.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            XCTAssertEqual(Layout.isoTime(ms * 1_000_000), expected, "ms \(ms)")
        }
    }

    func testSubMillisecondsAreTruncated() {
        XCTAssertEqual(Layout.isoTime(1_764_000_000_123_999_999), "2025-11-24T16:00:00.123Z")
        XCTAssertEqual(Layout.isoTime(-1), "1969-12-31T23:59:59.999Z")
    }
}
