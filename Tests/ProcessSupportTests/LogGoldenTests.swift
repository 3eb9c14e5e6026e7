import Foundation
import XCTest

final class LogGoldenTests: XCTestCase {
    private static let goldenURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Golden/log-lines.txt")

    /// FACEGATE_LOG_GOLDEN_RECORD=1 rewrites the golden from the code under test (done once,
    /// on the commit before `Log` moved onto swift-log).
    func testLinesAreByteIdenticalToTheGolden() throws {
        let output = try captureStandardError { writeGoldenLogLines() }
        if ProcessInfo.processInfo.environment["FACEGATE_LOG_GOLDEN_RECORD"] == "1" {
            try Data(output.utf8).write(to: Self.goldenURL)
        }
        let golden = try Data(contentsOf: Self.goldenURL)
        XCTAssertEqual(Data(output.utf8), golden, "log lines differ from the golden:\n\(output)")
    }
}
