import BrokerCore
import Foundation
import ProcessSupport
import Vocabulary
import WireProtocol
import WireTransport

/// Work for the recognizers, pulled, never pushed: a recognizer gets a detect only after it
/// sent credit for one, and at most the newest admitted frame per camera waits. A newer frame
/// replaces the waiting one (the replaced txn is handed back to be discarded), so a slow or
/// stalled recognizer costs dropped frames, never growing latency.
///
/// Each recognizer has a sender thread of its own: a recognizer that stops reading (SIGSTOP,
/// a hang) blocks only its own sender, never the camera threads that enqueue frames nor the
/// other recognizers.
///
/// Reason for @unchecked: every stored var (and each worker's) is guarded by `lock`, an
/// NSCondition because the sender threads wait on it.
final class RecognizerPool: @unchecked Sendable {
    /// What the broker remembers of a detect it sent, for the audit row of its answer.
    struct InFlight {
        let camera: String
        let captureWallNs: Int64
        /// The frame's size: a result's face boxes must lie inside it.
        let frameSize: ImageSize
    }

    /// Reason for @unchecked: its vars are read and written only under the pool's `lock`.
    final class Worker: @unchecked Sendable {
        let connection: MessageConnection
        var credits: UInt32 = 0
        var inFlight: [UInt64: InFlight] = [:]
        /// Detects assigned to this recognizer (credit spent) that its sender has not written yet.
        var outbox: [Detect] = []
        var removed = false
        var sent: UInt64 = 0
        var results: UInt64 = 0
        init(connection: MessageConnection) { self.connection = connection }
    }

    private let lock = NSCondition()
    private var workers: [ObjectIdentifier: Worker] = [:]
    /// One waiting detect per camera, oldest-waiting camera first.
    private var waiting: [(camera: String, detect: Detect, queuedAt: UInt64)] = []
    private var droppedCount: UInt64 = 0
    private let log: Log
    private let tap: TapHub

    init(log: Log, tap: TapHub) {
        self.log = log
        self.tap = tap
    }

    func add(_ connection: MessageConnection) {
        let worker = Worker(connection: connection)
        lock.lock(); workers[ObjectIdentifier(connection)] = worker; lock.unlock()
        Thread.detachNewThread { [self] in sendLoop(worker) }
    }

    /// The recognizer left; returns the txns it still owed (their frames are lost), including
    /// those assigned to it but never written.
    func remove(_ connection: MessageConnection) -> [UInt64] {
        lock.lock(); defer { lock.unlock() }
        guard let worker = workers.removeValue(forKey: ObjectIdentifier(connection)) else { return [] }
        worker.removed = true
        lock.broadcast()
        return Array(worker.inFlight.keys)
    }

    /// Queues a detect; returns the txn it replaced, if one was waiting for that camera.
    func enqueue(_ detect: Detect) -> UInt64? {
        lock.lock(); defer { lock.unlock() }
        var replaced: UInt64?
        if let index = waiting.firstIndex(where: { $0.camera == detect.frame.camera }) {
            replaced = waiting[index].detect.txn
            waiting.remove(at: index)
            droppedCount += 1
        }
        waiting.append((detect.frame.camera, detect, MonotonicClock.nowNanoseconds()))
        assign()
        return replaced
    }

    func addCredit(_ connection: MessageConnection, _ count: UInt32) {
        lock.lock(); defer { lock.unlock() }
        if let worker = workers[ObjectIdentifier(connection)] {
            worker.credits = min(WireLimits.maxCredit, worker.credits + count)
        }
        assign()
    }

    /// A result or an error came back for `txn` from `connection`. nil if that recognizer was
    /// never given that txn: then the result is not trusted to decide anything.
    func complete(_ txn: UInt64, from connection: MessageConnection) -> InFlight? {
        lock.lock(); defer { lock.unlock() }
        guard let worker = workers[ObjectIdentifier(connection)],
              let sent = worker.inFlight.removeValue(forKey: txn) else { return nil }
        worker.results += 1
        return sent
    }

    /// Removes waiting detects that `isStale` says can no longer be decided; returns their txns.
    func dropWaiting(where isStale: (Detect) -> Bool) -> [UInt64] {
        lock.lock(); defer { lock.unlock() }
        let stale = waiting.filter { isStale($0.detect) }.map(\.detect.txn)
        waiting.removeAll { isStale($0.detect) }
        droppedCount += UInt64(stale.count)
        return stale
    }

    /// Pairs waiting detects with recognizers that have credit (the least busy first) and puts
    /// them in those recognizers' outboxes. Call with the lock held.
    private func assign() {
        while !waiting.isEmpty,
              let worker = workers.values.filter({ $0.credits > 0 }).min(by: { $0.inFlight.count < $1.inFlight.count }) {
            let job = waiting.removeFirst()
            worker.credits -= 1
            worker.inFlight[job.detect.txn] = InFlight(camera: job.camera, captureWallNs: job.detect.frame.captureWallNs,
                                                       frameSize: ImageSize(width: Int(job.detect.frame.width),
                                                                            height: Int(job.detect.frame.height)))
            worker.outbox.append(job.detect)
        }
        lock.broadcast()
    }

    /// One recognizer's sender: writes what `assign` gave it, outside the lock.
    private func sendLoop(_ worker: Worker) {
        while true {
            lock.lock()
            while worker.outbox.isEmpty && !worker.removed { lock.wait() }
            if worker.removed { lock.unlock(); return }
            let detect = worker.outbox.removeFirst()
            worker.sent += 1
            lock.unlock()
            do {
                try worker.connection.send(.detect(detect))
                tap.publish(.sent, peer: worker.connection.peerLabel, .detect(detect))
                log.debug("detect sent", ["camera": detect.frame.camera, "txn": hexTxn(detect.txn),
                                          "peer": worker.connection.peerLabel])
            } catch {
                log.warning("send to recognizer failed, closing it", ["peer": worker.connection.peerLabel,
                                                                     "txn": hexTxn(detect.txn), "error": "\(error)"])
                worker.connection.close()
                return
            }
        }
    }

    var status: [BrokerStatus.Recognizer] {
        lock.lock(); defer { lock.unlock() }
        return workers.values.map { w in
            BrokerStatus.Recognizer(peer: w.connection.peerLabel, name: w.connection.peerHello?.name ?? "", credits: w.credits,
                                    inFlight: w.inFlight.count, sent: w.sent, results: w.results)
        }.sorted { $0.peer < $1.peer }
    }

    /// Detects replaced or dropped while waiting for a recognizer.
    var dropped: UInt64 {
        lock.lock(); defer { lock.unlock() }
        return droppedCount
    }

    var waitingCount: Int {
        lock.lock(); defer { lock.unlock() }
        return waiting.count
    }
}
