import Foundation
import ProcessSupport
import XCTest

final class LogLevelTests: XCTestCase {
    /// The child side: one line per level.
    func testChildWritesEveryLevel() {
        guard isLogChild else { return }
        let log = Log(component: "levels")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")
    }

    private func levels(_ value: String?) throws -> [String] {
        let run = try ChildLogRun.run("LogLevelTests/testChildWritesEveryLevel",
                                      environment: value.map { ["FACEGATE_LOG_LEVEL": $0] } ?? [:])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertFalse(run.stdout.contains("component=levels"), "log lines belong on stderr, not stdout")
        return run.logLines.map(String.init)
    }

    func testFacegateLogLevelFiltersLinesInAChildProcess() throws {
        let all = ["level=debug component=levels msg=d", "level=info component=levels msg=i",
                   "level=warn component=levels msg=w", "level=error component=levels msg=e"]
        XCTAssertEqual(try levels(nil), Array(all[1...]), "info by default")
        XCTAssertEqual(try levels("debug"), all)
        XCTAssertEqual(try levels("info"), Array(all[1...]))
        XCTAssertEqual(try levels("warn"), Array(all[2...]))
        XCTAssertEqual(try levels("WARNING"), Array(all[2...]), "case-insensitive, warning as warn")
        XCTAssertEqual(try levels("error"), Array(all[3...]))
        XCTAssertEqual(try levels("loud"), Array(all[1...]), "an unknown level means info, as before")
    }
}
