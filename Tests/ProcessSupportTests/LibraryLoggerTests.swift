import Foundation
import Logging
import ProcessSupport
import XCTest

/// A library that logs through swift-log (swift-prometheus, async-http-client) makes its own
/// `Logger(label:)`; once the process is bootstrapped its lines are ours.
final class LibraryLoggerTests: XCTestCase {
    /// The child side: what the process's start does, then what a library does.
    func testChildLogsLikeALibrary() {
        guard isLogChild else { return }
        Log.bootstrap()
        var library = Logger(label: "async-http-client")
        library.trace("t")
        library.debug("d")
        library.info("connection pool started", metadata: ["pool": "1", "max-connections": "8"])
        library[metadataKey: "request-id"] = "7"
        library[metadataKey: "host"] = "127.0.0.1"
        library.notice("redirect", metadata: ["to": "http://127.0.0.1:9/a b"])
        library.warning("slow response \"GET /metrics\"\nretrying")
        library.error("failed", metadata: ["error": .string("connection refused"), "attempts": .stringConvertible(3)])
        // swift-log's own description of an array, quoted as any value with spaces and quotes.
        library.critical("gave up", metadata: ["tags": ["a", "b"]])

        // A facegate logger handed to a library as a plain Logger keeps its component and fields.
        let handed = Log(component: "broker").with(["camera": "cam-a", "component": "mqtt"]).logger
        handed.info("from the library", metadata: ["txn": "42"])
    }

    private func run(level: String?) throws -> [String] {
        let run = try ChildLogRun.run("LibraryLoggerTests/testChildLogsLikeALibrary",
                                      environment: level.map { ["FACEGATE_LOG_LEVEL": $0] } ?? [:])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertFalse(run.stdout.contains("async-http-client"), "log lines belong on stderr, not stdout")
        return run.logLines.map(String.init)
    }

    func testALibraryLoggerWritesLogfmtWithItsLabelAsComponent() throws {
        let lines = [
            "level=debug component=async-http-client msg=d",
            #"level=info component=async-http-client max-connections=8 pool=1 msg="connection pool started""#,
            #"level=info component=async-http-client host=127.0.0.1 request-id=7 to="http://127.0.0.1:9/a b" msg=redirect"#,
            #"level=warn component=async-http-client host=127.0.0.1 request-id=7 msg="slow response \"GET /metrics\"\nretrying""#,
            #"level=error component=async-http-client host=127.0.0.1 request-id=7 attempts=3 error="connection refused" msg=failed"#,
            #"level=error component=async-http-client host=127.0.0.1 request-id=7 tags="[\"a\", \"b\"]" msg="gave up""#,
            "level=info component=broker camera=cam-a component=mqtt txn=42 msg=\"from the library\"",
        ]
        XCTAssertEqual(try run(level: "debug"), lines, "trace is below debug; the four level names are kept")
        XCTAssertEqual(try run(level: nil), Array(lines[1...]))
        XCTAssertEqual(try run(level: "error"), Array(lines[4...5]))
    }
}
