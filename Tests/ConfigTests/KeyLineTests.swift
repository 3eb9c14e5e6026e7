import FacegateConfig
import XCTest

/// Lines of problems in documents whose structure makes the line hard to find: multi-line
/// strings and arrays, dotted keys, sub-tables of array elements, comments with quotes.
final class KeyLineTests: XCTestCase {
    func testLinesSurviveMultiLineStringsAndComments() {
        let text = #"""
            # a comment with "quotes" and [brackets] and key = value
            [mqtt]
            password = """
            line one
            port = 1
            """
            username = 'u' # '
            host = 7
            """#
        let problems = FacegateConfiguration.check(text: text)
        XCTAssertEqual(problems.map(\.line), [8], problems.map(\.description).joined(separator: "\n"))
    }

    func testDottedKeysAndSubTablesOfArrayElements() {
        let text = """
            mqtt.port = 0
            [[locks]]
            id = "A"
            [[locks]]
            id = "B"
            occupancy_max = -1
            [[cameras]]
            id = "c1"
            source = "test:"
            [[cameras]]
            id = "c2"
            source = "test:"
            [cameras.zones]
            B = [0, 0, 2, 1]
            """
        let problems = FacegateConfiguration.check(text: text)
        XCTAssertEqual(problems.map(\.line), [1, 6, 14], problems.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(problems[1].message.hasPrefix("locks[1].occupancy_max"))
        XCTAssertTrue(problems[2].message.hasPrefix("cameras[1].zones.B"))
    }

    func testArraysAndInlineTablesSpanningLines() {
        let text = """
            [[locks]]
            id = "A"
            [[cameras]]
            id = "c"
            source = "test:"
            locks = [ "A",  # first
              # a comment inside
              "A", 7,
            ]
            zones = { A = [0, 0, 1, 1], B = [0, 0, 1, 1] }
            """
        let problems = FacegateConfiguration.check(text: text)
        XCTAssertEqual(problems.map(\.line), [8, 8, 10], problems.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(problems.contains { $0.message.contains("locks[1]: lock \"A\" is listed twice") })
        XCTAssertTrue(problems.contains { $0.message.contains("locks[2]: must be a string, not an integer") })
        XCTAssertTrue(problems.contains { $0.message.contains("zones.B: zone for unknown lock") })
    }
}
