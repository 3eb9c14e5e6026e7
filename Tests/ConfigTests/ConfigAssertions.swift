import FacegateConfig
import XCTest

/// The 1-based line of the first line of `text` containing `marker`.
func lineOf(_ marker: String, _ text: String) -> Int {
    (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(marker) } ?? -1) + 1
}

/// `facegate config check` reports a problem containing `fragment` at the line marked `marker`.
func assertProblem(_ text: String, at marker: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
    let problems = FacegateConfiguration.check(text: text)
    let want = lineOf(marker, text)
    XCTAssertTrue(problems.contains { $0.line == want && $0.message.contains(fragment) },
                  "expected line \(want): \(fragment); got:\n\(problems.map(\.description).joined(separator: "\n"))", file: file, line: line)
}
