import BrokerCore
import Dispatch
import GalleryStore
@testable import LockBroker
import ProcessSupport
import Synchronization
import TestSupport
import XCTest

/// The broker's audit queue on a real SQLite file: frames written in order, each in one
/// transaction and before its continuation; a full queue makes the caller wait and is counted;
/// a failed transaction fails its own frame only; a drain says what it left.
final class AuditWriterTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var store: GalleryStore!

    override func setUpWithError() throws {
        dir = TemporaryDirectory(prefix: "fgaw")
        store = try GalleryStore(path: dir.file("audit.sqlite").path)
    }

    override func tearDown() {
        store = nil
        dir = nil
    }

    private func writer(capacity: Int) -> AuditWriter {
        AuditWriter(store: store, capacity: capacity, log: Log(component: "audit-writer-test"))
    }


    /// Frames 1...20 of two rows each, the odd ones with a command: written in submission
    /// order, a frame's rows consecutive, each on disk when its continuation runs; the outcome
    /// queued from the continuation (as the broker's publish does) lands on its row.
    func testFramesAreWrittenInOrderEachBeforeItsContinuation() throws {
        let audit = writer(capacity: 4)
        let seen = Shared<[(label: String, ids: [Int64], onDisk: Bool)]>([])
        for frame in 1...20 {
            let locks: [LockID] = frame % 2 == 1 ? ["DC006"] : []
            audit.appendFrame([row(UInt64(frame), locks: locks), row(UInt64(frame), face: 1)], label: "f\(frame)",
                              committed: { [store] ids in
                let onDisk = ids.allSatisfy { (try? store!.auditRecord(id: $0)) != nil }
                seen.update { $0.append(("f\(frame)", ids, onDisk)) }
                if !locks.isEmpty {
                    audit.perform({ try $0.recordDelivery(auditID: ids[0], lock: "DC006", state: .published, detail: "PUBACK received",
                                                          wallNs: 1) }, failed: { XCTFail("delivery update failed: \($0)") })
                }
            }, failed: { XCTFail("frame \(frame) failed: \($0)") })
        }
        XCTAssertEqual(audit.drain(timeout: 30), AuditWriter.Backlog(frames: [], updates: 0, waitingForRoom: 0))
        let frames = seen.value
        XCTAssertEqual(frames.map(\.label), (1...20).map { "f\($0)" })
        XCTAssertTrue(frames.allSatisfy(\.onDisk), "a continuation ran before its rows were committed")
        let ids = frames.flatMap(\.ids)
        XCTAssertEqual(ids, Array(ids[0]..<(ids[0] + 40)), "rows of one frame consecutive, frames in order")
        let records = try store.auditTail(limit: 100)
        XCTAssertEqual(records.count, 40)
        XCTAssertEqual(records.map(\.entry.txn.rawValue), (1...20).flatMap { [UInt64($0), UInt64($0)] })
        let commands = records.flatMap(\.entry.deliveries)
        XCTAssertEqual(commands.count, 10)
        XCTAssertTrue(commands.allSatisfy { $0.state == .published }, "\(commands.map(\.state))")
        // One submitting thread, capacity 4: it mostly waited for room (timesFull), losing nothing.
        XCTAssertEqual(audit.failures, 0)
        XCTAssertEqual(audit.depth, 0)
    }

    /// Capacity 2, the writer held inside frame A's continuation: B queues at once, C finds
    /// the queue full, is counted and waits (not dropped) until A is done; an update never
    /// waits. Then A, B, C are written in that order.
    func testAFullQueueMakesTheCallerWaitAndIsCounted() throws {
        let audit = writer(capacity: 2)
        let gate = DispatchSemaphore(value: 0)
        let aRunning = Shared(false)
        let order = Shared<[String]>([])
        @Sendable func frame(_ label: String, _ txn: UInt64, hold: Bool = false) {
            audit.appendFrame([row(txn)], label: label, committed: { _ in
                order.update { $0.append(label) }
                if hold { aRunning.set(true); gate.wait() }
            }, failed: { XCTFail("\(label) failed: \($0)") })
        }
        frame("A", 1, hold: true)
        XCTAssertTrue(waitUntil(timeout: 10) { aRunning.value })
        frame("B", 2)
        XCTAssertEqual(audit.depth, 2, "A being written and B waiting fill the queue")
        XCTAssertEqual(audit.timesFull, 0)

        let cQueued = Shared(false)
        Thread.detachNewThread {
            frame("C", 3)
            cQueued.set(true)
        }
        XCTAssertTrue(waitUntil(timeout: 10) { audit.timesFull == 1 }, "C never found the queue full")
        // Room can only come from A, which waits for the gate: C is still waiting.
        XCTAssertFalse(cQueued.value, "C was queued past the capacity")
        XCTAssertEqual(audit.depth, 2)
        XCTAssertEqual(audit.backlog.waitingForRoom, 1)

        // MQTT's network thread queues outcomes: never made to wait, even now.
        let updateQueued = Shared(false)
        Thread.detachNewThread {
            audit.perform({ _ in order.update { $0.append("update") } }, failed: { XCTFail("update failed: \($0)") })
            updateQueued.set(true)
        }
        XCTAssertTrue(waitUntil(timeout: 10) { updateQueued.value }, "an update waited for room")
        XCTAssertFalse(cQueued.value)

        gate.signal()
        XCTAssertTrue(waitUntil(timeout: 10) { cQueued.value }, "C was never queued")
        XCTAssertTrue(audit.drain(timeout: 30).isEmpty)
        XCTAssertEqual(order.value, ["A", "B", "update", "C"], "FIFO: C was queued after the update")
        XCTAssertEqual(try store.auditTail(limit: 10).map(\.entry.txn.rawValue), [1, 2, 3], "nothing dropped")
        XCTAssertEqual(audit.timesFull, 1)
        XCTAssertEqual(audit.backlog.waitingForRoom, 0)
        XCTAssertEqual(audit.failures, 0)
    }

    /// B's second row names the same lock twice (the table's primary key refuses it): B's
    /// transaction rolls back whole, its failure runs instead of its continuation, and A and
    /// C before and after it are written as if nothing happened.
    func testAFailedWriteFailsOnlyItsBatch() throws {
        let audit = writer(capacity: 8)
        let outcomes = Shared<[String]>([])
        let bad = AuditEntry(timeWallNs: 1, camera: "cam-a", txn: DetectingTxn(2), faceIndex: 1, captureMonotonicNs: 2,
                             captureWallNs: nil, member: nil, distance: nil, snapshotJSON: nil, unlockedLocks: ["DC006"],
                             kind: .unlock, reason: "twice the same command",
                             deliveries: [UnlockDelivery(lock: "DC006", qos: 1), UnlockDelivery(lock: "DC006", qos: 1)])
        for (label, rows) in [("A", [row(1, locks: ["DC001"])]), ("B", [row(2, locks: ["DC001"]), bad]), ("C", [row(3)])] {
            audit.appendFrame(rows, label: label, committed: { ids in outcomes.update { $0.append("\(label) committed \(ids.count)") } },
                              failed: { error in outcomes.update { $0.append("\(label) failed: \(error)") } })
        }
        XCTAssertTrue(audit.drain(timeout: 30).isEmpty)
        let seen = outcomes.value
        XCTAssertEqual(seen.count, 3)
        XCTAssertEqual(seen[0], "A committed 1")
        XCTAssertTrue(seen[1].hasPrefix("B failed: ") && seen[1].contains("UNIQUE constraint failed"), seen[1])
        XCTAssertEqual(seen[2], "C committed 1")
        let records = try store.auditTail(limit: 10)
        XCTAssertEqual(records.map(\.entry.txn.rawValue), [1, 3], "B's first row rolled back with its second")
        XCTAssertEqual(records.first?.entry.deliveries.map(\.lock), ["DC001"])
        XCTAssertEqual(audit.failures, 1)
    }

    /// A drain that times out names the frames still queued (the one being written included);
    /// once closed, the writer refuses rows and updates at once, through their failure path.
    func testADrainSaysWhatItLeftAndAClosedWriterRefuses() throws {
        let audit = writer(capacity: 4)
        let gate = DispatchSemaphore(value: 0)
        audit.appendFrame([row(1)], label: "0000000100000001", committed: { _ in gate.wait() }, failed: { XCTFail("\($0)") })
        audit.appendFrame([row(2)], label: "0000000100000002", committed: { _ in }, failed: { XCTFail("\($0)") })
        audit.perform({ _ in }, failed: { XCTFail("\($0)") })
        // The first frame cannot finish before the gate opens: this drain must time out.
        let left = audit.drain(timeout: 0.2)
        XCTAssertEqual(left.frames, ["0000000100000001", "0000000100000002"])
        XCTAssertEqual(left.updates, 1)
        gate.signal()
        XCTAssertTrue(audit.drain(timeout: 30).isEmpty)
        XCTAssertEqual(try store.auditTail(limit: 10).count, 2)

        audit.close()
        let refusals = Shared<[String]>([])
        audit.appendFrame([row(3)], label: "late", committed: { _ in XCTFail("written after close") },
                          failed: { error in refusals.update { $0.append("\(error)") } })
        audit.perform({ _ in XCTFail("updated after close") }, failed: { error in refusals.update { $0.append("\(error)") } })
        XCTAssertEqual(refusals.value, Array(repeating: "the audit writer is closed (broker stopping)", count: 2))
        XCTAssertEqual(audit.failures, 2)
        XCTAssertEqual(audit.depth, 0)
        XCTAssertEqual(try store.auditTail(limit: 10).count, 2)
    }
}

/// A value several threads read and change, behind a `Locked`; a class so escaping closures
/// can share it.
private final class Shared<Value: Sendable>: Sendable {
    private let mutex: Locked<Value>
    init(_ value: Value) { mutex = Locked(value) }
    var value: Value { mutex.withLock { $0 } }
    func set(_ value: Value) { mutex.withLock { $0 = value } }
    func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}

/// One decision row of frame `txn`; `locks` become pending commands.
private func row(_ txn: UInt64, face: Int = 0, locks: [LockID] = []) -> AuditEntry {
    AuditEntry(timeWallNs: 1_700_000_000_000_000_000 + Int64(txn), camera: "cam-a", txn: DetectingTxn(txn), faceIndex: face,
               captureMonotonicNs: txn, captureWallNs: nil, member: nil, distance: nil, snapshotJSON: nil,
               unlockedLocks: locks, kind: locks.isEmpty ? .unknownFace : .unlock, reason: "test row \(txn)",
               deliveries: locks.map { UnlockDelivery(lock: $0, qos: 1) })
}
