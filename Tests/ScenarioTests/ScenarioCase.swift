import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import XCTest

/// Base of the end-to-end scenario tests: builds a `Pipeline` (every real process), reads the
/// audit, checks what the locks received, and prints every process's log when a test fails.
class ScenarioCase: XCTestCase {
    private(set) var pipeline: Pipeline?
    private var startedAt = Date()

    override func setUp() {
        super.setUp()
        startedAt = Date()
    }

    override func tearDown() {
        if let pipeline {
            // FACEGATE_SCENARIO_DUMP=1 prints the logs of passing tests too.
            if (testRun?.totalFailureCount ?? 0) > 0 || ProcessInfo.processInfo.environment["FACEGATE_SCENARIO_DUMP"] == "1" {
                print(pipeline.dump())
                print("--- audit\n" + auditText(pipeline))
            }
            pipeline.shutdown()
        }
        pipeline = nil
        print("\(name): \(String(format: "%.1f", Date().timeIntervalSince(startedAt))) s real")
        super.tearDown()
    }

    /// A fresh pipeline (temp dir, mosquitto, lock simulator, database enrolled with the CLI,
    /// broker, recognizers), ready, with scenario time starting now.
    func makePipeline(startBroker: Bool = true, _ configure: (inout PipelineOptions) -> Void = { _ in }) throws -> Pipeline {
        var options = PipelineOptions()
        configure(&options)
        let made = try Pipeline(options, startBroker: startBroker)
        pipeline = made
        return made
    }

    // MARK: Script steps many scenarios share

    /// `lock` is touched now, `photo` shown @`t`, and the first decision of `kind` audited.
    @discardableResult
    func touchAndShow(_ p: Pipeline, lock: String = "DC006", photo: String = "obama2.jpg", at t: Double = 2,
                      expect kind: DecisionKind = .unlock, file: StaticString = #filePath, line: UInt = #line) throws -> [AuditEntry] {
        try p.touch(lock)
        p.at(t)
        try p.show(photo)
        return waitForDecision(p, kind, file: file, line: line)
    }

    /// S1: DC006 touched, obama shown @2, exactly one unlock of DC006 and nothing else.
    func playS1(_ p: Pipeline, file: StaticString = #filePath, line: UInt = #line) throws {
        try touchAndShow(p, file: file, line: line)
        assertSettledUnlocks(p, ["DC006": 1], file: file, line: line)
    }

    /// DC006 touched; the recognizer stopped @0.9 and obama shown @1, so the admitted frame
    /// waits in a stopped recognizer; the camera is hidden again. The caller resumes it.
    func holdFrameInStoppedRecognizer(_ p: Pipeline, file: StaticString = #filePath, line: UInt = #line) throws {
        try p.touch("DC006")
        p.at(0.9)
        p.signal(.recognizer("r1"), SIGSTOP)
        p.at(1)
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForAdmitted(p), p.dump(), file: file, line: line)
        p.hide()
    }

    // MARK: Audit

    func store(_ p: Pipeline) throws -> GalleryStore { try GalleryStore(path: p.databaseURL.path) }

    func audit(_ p: Pipeline) -> [AuditEntry] {
        (try? store(p).auditTail(limit: 100_000).map(\.entry)) ?? []
    }

    /// Polls the audit until `condition` holds; returns the rows read last.
    @discardableResult
    func waitForAudit(_ p: Pipeline, timeout: Double = 60, _ condition: ([AuditEntry]) -> Bool) -> [AuditEntry] {
        var rows: [AuditEntry] = []
        waitUntil(timeout: timeout, interval: 0.1) { rows = audit(p); return condition(rows) }
        return rows
    }

    /// Waits for the first audit row of `kind`.
    @discardableResult
    func waitForDecision(_ p: Pipeline, _ kind: DecisionKind, count: Int = 1, timeout: Double = 60,
                         file: StaticString = #filePath, line: UInt = #line) -> [AuditEntry] {
        let rows = waitForAudit(p, timeout: timeout) { $0.filter { $0.kind == kind }.count >= count }
        XCTAssertGreaterThanOrEqual(rows.filter { $0.kind == kind }.count, count,
                                    "no \(kind.rawValue) decision within \(timeout) s; rows: \(rows.map(\.kind.rawValue))",
                                    file: file, line: line)
        return rows
    }

    func auditText(_ p: Pipeline) -> String {
        audit(p).map { e in
            let capture = e.captureMonotonicNs.map { String(format: "@%.2f", p.scenarioTime($0)) } ?? "@?"
            return "\(e.kind.rawValue) \(capture) txn=\(e.txn) face=\(e.faceIndex.map(String.init) ?? "-") member=\(e.member?.name ?? "-") "
                + "unlocked=\(e.unlockedLocks.map(\.rawValue)) snapshot=\(e.snapshotJSON ?? "nil") reason=\(e.reason)"
        }.joined(separator: "\n")
    }

    // MARK: Checks

    /// Settles the pipeline, then checks that each lock received exactly `expected[lock]` /set
    /// commands (0 for locks not named), each with `payload`; and that the audit holds one row
    /// per decision the broker logged.
    func assertSettledUnlocks(_ p: Pipeline, _ expected: [String: Int], payload: String = #"{"state":"UNLOCK"}"#,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(settle(p), "the pipeline did not come to rest", file: file, line: line)
        for lock in PipelineOptions.locks {
            let want = expected[lock] ?? 0
            XCTAssertEqual(p.payloads(lock), Array(repeating: payload, count: want),
                           "/set commands of \(lock)", file: file, line: line)
        }
        assertOneAuditRowPerDecision(p, file: file, line: line)
    }

    /// `Pipeline.settle()`, then waits until every decision the engine made is logged, audited
    /// and (for unlocks) delivered. A recognizer hands its frame back before the broker logs
    /// and audits the decision, so "nothing in flight" alone is not the end.
    /// `auditAllRuns`: also require an audit row for every decision logged by earlier broker
    /// runs (false when brokers were SIGKILLed: one may die between its log line and its row).
    @discardableResult
    func settle(_ p: Pipeline, auditAllRuns: Bool = true, awaitDelivery: Bool = true, timeout: Double = 60) -> Bool {
        guard p.settle(timeout: timeout, awaitDelivery: false) else { return false }
        func decisionLines(_ log: String) -> Int {
            log.split(separator: "\n").filter {
                $0.contains("msg=UNLOCK") || $0.contains("msg=\"deny ") || $0.contains("msg=\"recognizer could not process frame\"")
            }.count
        }
        var last = ""
        var stableSince = Date()
        return waitUntil(timeout: 20, interval: 0.1) {
            guard let broker = p.broker, broker.isRunning, let status = p.brokerStatus(),
                  let counters = status["counters"] as? [String: Any],
                  let decisions = counters["decisions"] as? [String: Any] else { return false }
            let engine = decisions.values.reduce(0) { $0 + (($1 as? NSNumber)?.intValue ?? 0) }
            let loggedNow = decisionLines(broker.log)
            let loggedAll = p.started.filter { $0.name.hasPrefix("broker-") }.reduce(0) { $0 + decisionLines($1.log) }
            let entries = audit(p)
            let rows = entries.count
            // A command mosquitto acknowledged can still be lost on its way to the lock (the
            // simulator not yet subscribed again after mosquitto restarted): once the lock's
            // confirmation window has closed on it (`unconfirmed`), it is not awaited.
            let lost = entries.flatMap(\.deliveries).filter { $0.state == .published && $0.confirmation == .unconfirmed }.count
            let done = engine == loggedNow && (auditAllRuns ? rows == loggedAll : rows >= loggedNow)
                && (!awaitDelivery || p.commands().count + lost >= p.publishedUnlocks.count)
            let state = "\(engine) \(loggedAll) \(rows) \(p.commands().count)"
            if state != last { last = state; stableSince = Date() }
            return done && Date().timeIntervalSince(stableSince) >= 0.3
        }
    }

    /// Every decision the broker logged (UNLOCK, deny <kind>, recognizer error) is one audit row.
    func assertOneAuditRowPerDecision(_ p: Pipeline, file: StaticString = #filePath, line: UInt = #line) {
        let rows = audit(p)
        let logged = p.brokerLines("msg=UNLOCK").count + p.brokerLines("msg=\"deny ").count
            + p.brokerLines("msg=\"recognizer could not process frame\"").count
        XCTAssertEqual(rows.count, logged, "audit rows vs decisions in the broker's log", file: file, line: line)
        for row in rows {
            XCTAssertFalse(row.reason.isEmpty, "audit row without a reason: \(row)", file: file, line: line)
            XCTAssertEqual(row.camera, PipelineOptions.camera, file: file, line: line)
        }
        let unlocks = rows.filter { $0.kind == .unlock }
        XCTAssertTrue(unlocks.allSatisfy { !$0.unlockedLocks.isEmpty }, "an unlock row names no lock", file: file, line: line)
        XCTAssertTrue(rows.filter { $0.kind != .unlock }.allSatisfy { $0.unlockedLocks.isEmpty },
                      "a denial names unlocked locks", file: file, line: line)
    }

    /// Waits until the broker has received at least `count` more frames of cam-a than `base`.
    @discardableResult
    func waitForFrames(_ p: Pipeline, atLeast count: Int, timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout, interval: 0.1) { (p.cameraStatus()?["frames_received"] as? Int ?? 0) >= count }
    }

    func framesAdmitted(_ p: Pipeline) -> Int { p.cameraStatus()?["frames_admitted"] as? Int ?? -1 }
    func framesReceived(_ p: Pipeline) -> Int { p.cameraStatus()?["frames_received"] as? Int ?? -1 }

    /// Waits until the broker has admitted at least `count` frames (in all its runs' logs).
    @discardableResult
    func waitForAdmitted(_ p: Pipeline, _ count: Int = 1, timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout) { p.brokerLines("msg=\"frame admitted\"").count >= count }
    }

    func lockIDs(_ names: [String]) -> [LockID] { names.map { LockID($0) } }
}
