import Foundation
import GalleryStore
import TestSupport
import XCTest

/// deploy/openapi.yaml checked against the running facegate-web by schemathesis (PyPI, into
/// .cache/schemathesis by scripts/setup.sh): a bounded run of generated requests, with
/// Basic credentials of an admin account, must get no server error and answers that match
/// the document.
final class OpenAPITests: XCTestCase {
    func testTheAPIAnswersAsItsOpenAPIDocumentSaysWithoutServerErrors() throws {
        let st = Paths.packageRoot.appendingPathComponent(".cache/schemathesis/bin/st")
        guard FileManager.default.isExecutableFile(atPath: st.path) else {
            return XCTFail("schemathesis is not installed at \(st.path): run scripts/setup.sh")
        }
        // A real broker (so /api/status answers), no recognizer, and facegate-web.
        var options = PipelineOptions()
        options.recognizers = []
        options.members = []
        let p = try Pipeline(options)
        defer { p.shutdown() }
        let dir = p.dir
        // Decisions to page through, members to change: the document's every path has data.
        let store = try GalleryStore(path: p.databaseURL.path)
        try store.addMember(name: "obama")
        try store.addGrant(member: "obama", lock: "DC006")
        try DecisionFixtures.fill(store, count: 120)
        let console = try ConsoleProcess(pipeline: p)
        defer { _ = console.stop() }
        try ConsoleProcess.addUser("api", ConsoleProcessPassword.value, role: "admin", pipeline: p)
        let port = console.url.split(separator: ":").last!

        let run = try ChildProcess(st, [
            "run", Paths.packageRoot.appendingPathComponent("deploy/openapi.yaml").path,
            "--base-url", "http://127.0.0.1:\(port)", "--auth", "api:\(ConsoleProcessPassword.value)",
            "--checks", "all",
            "--hypothesis-max-examples", "40", "--hypothesis-seed", "7", "--hypothesis-derandomize",
            "--workers", "1", "--request-timeout", "20000", "--no-color",
        ], environment: ["SCHEMATHESIS_TELEMETRY": "false", "HOME": dir.url.path], logDirectory: dir.url, name: "schemathesis")
        let status = run.waitForExit(timeout: 600)
        XCTAssertEqual(status, 0, "schemathesis found problems:\n\(run.log)\n--- facegate-web\n\(console.process.log.suffix(4000))")
        XCTAssertTrue(run.log.contains(" passed in "), run.log)
        XCTAssertFalse(run.log.contains(" failed"), run.log)
        XCTAssertFalse(console.process.log.contains("level=error"), console.process.log)
    }
}

enum ConsoleProcessPassword {
    static let value = "api-account-password"
}

/// Audit rows as the broker writes them, for pages to read.
enum DecisionFixtures {
    static func fill(_ store: GalleryStore, count: Int, startWallNs: Int64 = 1_764_000_000_000_000_000) throws {
        let kinds: [DecisionKind] = [.unlock, .unknownFace, .noGrant]
        var entries: [AuditEntry] = []
        for i in 0..<count {
            let kind = kinds[i % kinds.count]
            let member = kind == .unknownFace ? nil : MemberRef(id: MemberID(1), name: "obama")
            entries.append(AuditEntry(
                timeWallNs: startWallNs + Int64(i) * 1_000_000_000, camera: i % 2 == 0 ? "cam-a" : "cam-b",
                txn: DetectingTxn(rawValue: UInt64(i + 1)), faceIndex: 0, captureMonotonicNs: UInt64(i) * 1_000_000_000,
                captureWallNs: startWallNs + Int64(i) * 1_000_000_000 - 300_000_000, member: member,
                distance: member == nil ? 0.7 : 0.35, snapshotJSON: nil,
                unlockedLocks: kind == .unlock ? [LockID("DC006")] : [], kind: kind, reason: "fixture \(i)"))
        }
        try store.appendAudit(entries)
    }
}

import BrokerCore
