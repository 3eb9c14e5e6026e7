import BrokerCore
@testable import DemoRunner
import Foundation
import GalleryStore
import TestSupport
import XCTest

/// `make demo` itself: facegate-demo played on the real processes (mosquitto, the lock
/// simulator, broker, tap, recognizer, capture), at the speed a newcomer sees it. Its exit
/// status, what it narrates, and what the audit and the locks recorded.
final class DemoPlayTests: XCTestCase {
    private struct Played {
        var status: Int32?
        var output: String
        /// Holds the state directory (config, audit, logs) until the test is done with it.
        var directory: TemporaryDirectory
        var state: URL
        /// The lock simulator's record of what it published and received.
        var lockRecords: [LockRecord]
    }

    private func play(_ arguments: [String] = []) throws -> Played {
        let dir = TemporaryDirectory(prefix: "fg-demo")
        let state = dir.url.appendingPathComponent("state")
        let demo = try ChildProcess(Paths.executable("facegate-demo"), [
            "--bin", Paths.productsDirectory.path, "--models-dir", Paths.modelsDirectory.path,
            "--faces-dir", Paths.shared.appendingPathComponent("faces").path, "--state-dir", state.path,
            "--time-scale", "1",
        ] + arguments, logDirectory: dir.url, name: "demo")
        let status = demo.waitForExit(timeout: 240)
        if status == nil { demo.terminate(grace: 15) }
        let logs = state.appendingPathComponent("logs")
        let record = try FileManager.default.contentsOfDirectory(atPath: logs.path)
            .first { $0.hasPrefix("locksim-") && $0.hasSuffix(".jsonl") }
        let records = record.map { LockRecord.all(in: logs.appendingPathComponent($0)) } ?? []
        return Played(status: status, output: demo.log, directory: dir, state: state, lockRecords: records)
    }

    /// The story opens DC006 once, never DC001; then obama's still photo, held up to DC001's
    /// camera, is recognised and refused (`liveness_failed`) and DC001 receives no command.
    func testTheStoryOpensDC006AndThePhotoIsRefusedAtDC001() throws {
        let played = try play()
        let output = played.output
        XCTAssertEqual(played.status, 0, output)
        let chapter = try XCTUnwrap(output.range(of: "== A photo held up to DC001's camera").map { String(output[$0.lowerBound...]) },
                                    output)
        XCTAssertTrue(chapter.contains("obama -> no unlock: awaiting_confirmation"), chapter)
        XCTAssertTrue(chapter.contains("obama -> no unlock: liveness_failed"), chapter)
        // The reason's figures, told in words (not the reason's raw text).
        XCTAssertTrue(chapter.contains("too little motion to judge: over "), chapter)
        XCTAssertTrue(chapter.contains("DC001: received no command"), chapter)
        XCTAssertTrue(chapter.contains("as expected: obama's photo was recognised and refused; DC001 stayed locked."), chapter)
        XCTAssertFalse(output.contains("FAILED"), output)
        XCTAssertTrue(output.contains("web console: http://127.0.0.1:"), "the demo prints the console's address: \(output)")

        let commands = played.lockRecords.filter { $0.event == "command" }
        XCTAssertEqual(commands.map { $0.lock ?? "?" }, ["DC006"], output)
        let store = try GalleryStore(path: played.state.appendingPathComponent("facegate.sqlite").path)
        let rows = try store.auditTail(limit: 10_000).map(\.entry)
        XCTAssertEqual(rows.filter { $0.kind == .unlock }.map(\.unlockedLocks), [["DC006"]])
        let refusals = rows.filter { $0.kind == .livenessFailed }
        XCTAssertFalse(refusals.isEmpty)
        for row in refusals {
            XCTAssertEqual(row.member?.name, "obama", row.reason)
            XCTAssertTrue(row.reason.contains("DC001: liveness_failed: planar: "), row.reason)
        }
        // DC001's planar policy cannot have touched the story: the story's faces were captured
        // with DC006 alone in their snapshot, the chapter's (judged by the policy) with DC001 alone.
        for row in rows where row.member != nil {
            guard let locks = try row.snapshot()?.triggeredLocks else { continue }
            let policyKinds: [DecisionKind] = [.awaitingConfirmation, .livenessFailed]
            XCTAssertEqual(locks, policyKinds.contains(row.kind) ? ["DC001"] : ["DC006"], "\(row.kind): \(row.reason)")
        }
    }

    /// Without liveness on DC001 the same photo opens it: the demo says so and exits 1.
    func testThePhotoOpeningDC001IsAFailureAndExitsOne() throws {
        let played = try play(["--dc001-liveness", "off"])
        XCTAssertEqual(played.status, 1, played.output)
        XCTAssertTrue(played.output.contains(#"FAILED: the photo opened DC001 (liveness = "off"): it received {"state":"UNLOCK"}"#),
                      played.output)
        XCTAssertTrue(played.output.contains("as expected: DC006 unlocked once for obama, DC001 never."), played.output)
        XCTAssertEqual(played.lockRecords.filter { $0.event == "command" }.map { $0.lock ?? "?" }, ["DC006", "DC001"])
    }
}
