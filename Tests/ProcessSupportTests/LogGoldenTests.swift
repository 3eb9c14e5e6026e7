import Foundation
import XCTest

final class LogGoldenTests: XCTestCase {
    private static let goldenURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Golden/log-lines.txt")

    /// FACEGATE_LOG_GOLDEN_RECORD=1 rewrites the golden from the code under test (done once,
    /// on the commit before `Log` moved onto swift-log). Changed by hand since in two lines
    /// only: "\r\n", U+2028 and U+0085 inside a value are escaped, so every event is one line.
    func testLinesAreByteIdenticalToTheGolden() throws {
        let output = try captureStandardError { writeGoldenLogLines() }
        if ProcessInfo.processInfo.environment["FACEGATE_LOG_GOLDEN_RECORD"] == "1" {
            try Data(output.utf8).write(to: Self.goldenURL)
        }
        let golden = try Data(contentsOf: Self.goldenURL)
        XCTAssertEqual(Data(output.utf8), golden, "log lines differ from the golden:\n\(output)")
        // Whatever a value holds, a line break only ends an event.
        let events = output.unicodeScalars.split { $0 == "\n" }
        XCTAssertFalse(events.contains { $0.contains { $0 == "\r" || $0 == "\u{2028}" || $0 == "\u{85}" } }, output)
        XCTAssertTrue(events.allSatisfy { String(String.UnicodeScalarView($0)).hasPrefix("level=") }, output)
    }
}
