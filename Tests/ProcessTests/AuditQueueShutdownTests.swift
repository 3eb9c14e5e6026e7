import BrokerCore
import Foundation
import GalleryStore
import ProcessSupport
import Synchronization
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The broker's audit queue at SIGTERM, on the real process under load: a camera peer sends
/// frames of obama as fast as the broker takes them and a recognizer peer answers each at once,
/// while a hand-run `sqlite3` holds the database's write lock (a busy disk), so decisions pile
/// up in a full queue (capacity 4) and the recognizer's connection waits for room.
final class AuditQueueShutdownTests: XCTestCase {
    private struct Rig {
        let h: BrokerHarness
        let camera: TestCamera
        let recognizer: TestRecognizer
        let load: FrameLoad
        let hold: DatabaseWriteHold
    }

    /// Everything up, the database held, DC006 touched: the first decision (obama, DC006) is an
    /// unlock, stuck with the denials after it behind the held write lock. With `warmUp`, DC001
    /// was touched before, and every frame of its session (an unlock, then one denial per
    /// frame) decided and written, before the hold.
    private func fullQueueAtTheDoor(drainTimeout: Double, warmUp: Bool = false) throws -> Rig {
        // max_decision_age 10 s real: the held commands are still young enough to go out once
        // their rows are written.
        let h = try BrokerHarness(.init(maxDecisionAge: 40,
                                        runtime: "audit_queue_capacity = 4\naudit_drain_timeout = \(drainTimeout)"))
        try h.startBroker()
        let camera = try TestCamera(socketsDirectory: h.socketsDirectory)
        let recognizer = try TestRecognizer(socketsDirectory: h.socketsDirectory)
        XCTAssertTrue(h.broker.waitForLog("recognizer:test-recognizer"), h.dump())
        let load = FrameLoad(camera)
        XCTAssertTrue(h.broker.waitForLog("msg=\"mqtt subscriptions active\""), h.dump())
        if warmUp {
            try h.touch("DC001")
            XCTAssertTrue(h.broker.waitForLine("msg=\"occupancy false\"", "lock=DC001", timeout: 30), h.dump())
            // The session is over, frames are skipped again: wait until every decision of it is written.
            var last: [String: Any] = [:]
            XCTAssertTrue(waitUntil(timeout: 30, interval: 0.05) {
                guard let status = brokerStatus(h), let rows = try? h.store.auditTail(limit: 100_000).count else { return false }
                last = status
                return decisionCount(status) == rows && status["audit_queue"] as? Int == 0
                    && (status["counters"] as? [String: Any])?["unlocks_in_flight"] as? Int == 0
            }, "the warm-up did not settle: \(last)\n\(h.dump())")
        }
        let hold = try DatabaseWriteHold(database: h.dir.file("facegate.sqlite").path, directory: h.dir.url)
        try h.touch("DC006")
        var last: [String: Any] = [:]
        let full = waitUntil(timeout: 30, interval: 0.05) {
            guard let status = brokerStatus(h) else { return false }
            last = status
            let counters = status["counters"] as? [String: Any] ?? [:]
            let decisions = counters["decisions"] as? [String: Any] ?? [:]
            return status["audit_queue"] as? Int == 4 && (counters["audit_queue_full"] as? Int ?? 0) >= 1
                && decisions["unlock"] as? Int == (warmUp ? 2 : 1)
        }
        XCTAssertTrue(full, "the queue never filled: \(last)\n\(h.dump())")
        XCTAssertEqual(last["audit_queue_capacity"] as? Int, 4)
        XCTAssertTrue(h.broker.waitForLog("msg=\"audit queue full; recognizer results wait for the disk\""), h.dump())
        XCTAssertEqual(h.broker.lines(containing: "msg=UNLOCK", "locks=DC006").count, 0, "an unlock logged before its row was written")
        return Rig(h: h, camera: camera, recognizer: recognizer, load: load, hold: hold)
    }

    /// SIGTERM with a full queue and the disk still busy: the broker waits, and once the disk
    /// is free it writes every decision it made, sends the held unlock after its row, records
    /// its PUBACK, and exits 0. Rows = decisions it counted = decisions it logged; the lock got
    /// its command only after the row could be written; nothing left pending.
    func testSIGTERMUnderLoadWritesEveryDecisionBeforeExit() throws {
        let rig = try fullQueueAtTheDoor(drainTimeout: 30, warmUp: true)
        let h = rig.h
        defer { rig.load.stop(); rig.hold.release() }
        h.broker.signal(SIGTERM)
        XCTAssertTrue(h.broker.waitForLine("msg=\"draining the audit queue\"", "frames=4"), h.dump())
        XCTAssertTrue(h.broker.isRunning, "the broker exited with its queue full\n\(h.dump())")
        let released = MonotonicClock.nowNanoseconds()
        rig.hold.release()
        XCTAssertEqual(h.broker.waitForExit(timeout: 60), 0, h.dump())
        rig.load.stop()

        let stopped = try XCTUnwrap(h.broker.lines(containing: "msg=\"broker stopped\"").first, h.dump())
        let decided = try XCTUnwrap(field("decisions", in: stopped).flatMap(Int.init), String(stopped))
        XCTAssertEqual(field("audit_failures", in: stopped), "0")
        let rows = try h.store.auditTail(limit: 100_000).map(\.entry)
        print("SIGTERM under load: \(decided) decisions, \(rows.count) rows, "
            + "\(h.broker.lines(containing: "msg=\"audit queue full").count) queue-full warnings")
        XCTAssertGreaterThanOrEqual(decided, 20 + 5, "the warm-up's frames, four queued and one waiting for room")
        XCTAssertEqual(rows.count, decided, "a decision the broker made has no audit row\n\(h.dump())")
        let logged = h.broker.lines(containing: "msg=UNLOCK").count + h.broker.lines(containing: "msg=\"deny ").count
        XCTAssertEqual(rows.count, logged)

        let unlocks = rows.filter { !$0.deliveries.isEmpty }
        XCTAssertEqual(unlocks.map(\.kind), [.unlock, .unlock], "\(rows.map(\.kind.rawValue))")
        XCTAssertEqual(unlocks.map { $0.deliveries.map(\.lock) }, [["DC001"], ["DC006"]])
        XCTAssertEqual(unlocks.last?.deliveries.first?.state, .published, "the stop waited for the PUBACK\n\(h.dump())")
        XCTAssertTrue(rows.allSatisfy { $0.deliveries.allSatisfy { $0.state != .pending } }, "an outcome was not written")
        XCTAssertTrue(rows.allSatisfy { $0.kind == .unlock || $0.kind == .alreadyUnlocked }, "\(rows.map(\.kind.rawValue))")

        XCTAssertTrue(h.locks.waitForRecords { _ in h.locks.commands(lock: "DC006").count == 1 }, h.dump())
        let command = try XCTUnwrap(h.locks.commands(lock: "DC006").first?.monotonicNs)
        XCTAssertGreaterThan(command, released, "the lock got its command while the row could not be written")
        XCTAssertEqual(h.locks.commands().map(\.lock), ["DC001", "DC006"])
    }

    /// SIGTERM with the disk busy past `audit_drain_timeout` (1 s): the broker does not hang.
    /// It exits 1 and names what it could not write (the four queued frames by txn, the one
    /// waiting for room), and since a command only follows its row, the lock got nothing.
    func testADrainTimeoutExitsNamingTheLostRowsAndSendsNothing() throws {
        let rig = try fullQueueAtTheDoor(drainTimeout: 1)
        let h = rig.h
        defer { rig.load.stop(); rig.hold.release() }
        h.broker.signal(SIGTERM)
        XCTAssertEqual(h.broker.waitForExit(timeout: 30), 1, "a stop that lost rows exits 1\n\(h.dump())")
        rig.load.stop()
        rig.hold.release()

        let lost = try XCTUnwrap(h.broker.lines(containing: "msg=\"audit queue not drained before exit").first, h.dump())
        XCTAssertEqual(field("frames", in: lost), "4")
        XCTAssertEqual(field("txns", in: lost)?.split(separator: ",").count, 4)
        XCTAssertEqual(field("frames_waiting_for_room", in: lost), "1")
        let decided = try XCTUnwrap(field("decisions", in: lost).flatMap(Int.init))
        XCTAssertEqual(decided, 5, String(lost))
        XCTAssertEqual(try h.store.auditTail(limit: 100).count, 0, "the database was held from before the first decision")
        XCTAssertEqual(h.broker.lines(containing: "msg=UNLOCK").count, 0)

        // mosquitto routes in arrival order: once a marker published now reached the lock
        // simulator, a command the broker sent before it exited would have too.
        try h.mosquitto.publish(topic: "zigbee2mqtt/DC001/set", text: #"{"state":"LOCK"}"#, username: "facegate")
        XCTAssertTrue(h.locks.waitForRecords { _ in !h.locks.commands(lock: "DC001").isEmpty }, h.dump())
        XCTAssertEqual(h.locks.commands(lock: "DC006").count, 0, "a command without its row\n\(h.dump())")
    }

    // MARK: Helpers

    private func brokerStatus(_ h: BrokerHarness) -> [String: Any]? {
        guard let admin = try? MessageConnection.connect(
            path: h.socketsDirectory + "/broker.ctl", hello: Hello(role: .admin, name: "audit-queue-test", pid: UInt32(getpid())),
            expecting: [.broker]) else { return nil }
        defer { admin.close() }
        admin.socket.setReceiveTimeout(seconds: 5)
        guard (try? admin.send(.statusRequest)) != nil, case let .statusReply(reply)? = try? admin.receive() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as? [String: Any]
    }

    private func decisionCount(_ status: [String: Any]) -> Int {
        let decisions = (status["counters"] as? [String: Any])?["decisions"] as? [String: Any] ?? [:]
        return decisions.values.reduce(0) { $0 + (($1 as? Int) ?? 0) }
    }

    /// The value of a logfmt field (unquoted).
    private func field(_ name: String, in line: Substring) -> String? {
        guard let range = line.range(of: " \(name)=") else { return nil }
        let rest = line[range.upperBound...]
        if rest.first == "\"" { return String(rest.dropFirst().prefix { $0 != "\"" }) }
        return String(rest.prefix { $0 != " " })
    }
}

/// Frames of obama2.jpg from the camera peer, one every 2 ms, until stopped or the broker
/// closes the connection.
private final class FrameLoad: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()

    init(_ camera: TestCamera) {
        finished.enter()
        Thread.detachNewThread { [self] in
            defer { finished.leave() }
            while !stopping.load(ordering: .relaxed), (try? camera.show("obama2.jpg")) != nil { usleep(2000) }
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }
}

/// `sqlite3 FILE` holding the database's write lock (`BEGIN IMMEDIATE`) until `release()`:
/// what an operator's hand-run sqlite3, or a disk that stopped answering, does to the broker's
/// writer. Readers (status, gallery reloads) are not blocked in WAL mode.
private final class DatabaseWriteHold {
    private let process = Process()
    private let input = Pipe()
    private let outputURL: URL
    private var released = false

    init(database: String, directory: URL) throws {
        outputURL = directory.appendingPathComponent("sqlite3-hold.log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil) // the open below throws if not
        let output = try FileHandle(forWritingTo: outputURL)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'write lock held';\n".utf8))
        guard waitUntil(timeout: 20, { log.contains("write lock held") }) else {
            process.terminate()
            throw PipelineError.notReady("sqlite3 write lock", log)
        }
    }

    var log: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    func release() {
        guard !released else { return }
        released = true
        input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
        try? input.fileHandleForWriting.close()
        if !waitUntil(timeout: 10, { !process.isRunning }) { process.terminate() }
        process.waitUntilExit()
    }

    deinit { release() }
}
