import BrokerCore
import Foundation
import ProcessSupport
import WireProtocol

/// Work for the recognizers, pulled, never pushed: a recognizer gets a detect only after it
/// sent credit for one, and at most the newest admitted frame per camera waits. A newer frame
/// replaces the waiting one (the replaced txn is handed back to be discarded), so a slow or
/// stalled recognizer costs dropped frames, never growing latency.
final class RecognizerPool: @unchecked Sendable {
    /// What the broker remembers of a detect it sent, for the audit row of its answer.
    struct InFlight {
        let camera: String
        let captureWallNs: Int64
    }

    struct Worker {
        let connection: MessageConnection
        var credits: UInt32 = 0
        var inFlight: [UInt64: InFlight] = [:]
        var sent: UInt64 = 0
        var results: UInt64 = 0
    }

    private let lock = NSLock()
    private var workers: [ObjectIdentifier: Worker] = [:]
    /// One waiting detect per camera, oldest-waiting camera first.
    private var waiting: [(camera: String, detect: Detect, queuedAt: UInt64)] = []
    private(set) var dropped: UInt64 = 0
    private let log: Log
    private let tap: TapHub

    init(log: Log, tap: TapHub) {
        self.log = log
        self.tap = tap
    }

    func add(_ connection: MessageConnection) {
        lock.lock(); workers[ObjectIdentifier(connection)] = Worker(connection: connection); lock.unlock()
    }

    /// The recognizer left; returns the txns it still owed (their frames are lost).
    func remove(_ connection: MessageConnection) -> [UInt64] {
        lock.lock(); defer { lock.unlock() }
        let worker = workers.removeValue(forKey: ObjectIdentifier(connection))
        return worker.map { Array($0.inFlight.keys) } ?? []
    }

    /// Queues a detect; returns the txn it replaced, if one was waiting for that camera.
    func enqueue(_ detect: Detect) -> UInt64? {
        lock.lock()
        var replaced: UInt64?
        if let index = waiting.firstIndex(where: { $0.camera == detect.frame.camera }) {
            replaced = waiting[index].detect.txn
            waiting.remove(at: index)
            dropped += 1
        }
        waiting.append((detect.frame.camera, detect, MonotonicClock.nowNanoseconds()))
        lock.unlock()
        dispatch()
        return replaced
    }

    func addCredit(_ connection: MessageConnection, _ count: UInt32) {
        lock.lock()
        if let current = workers[ObjectIdentifier(connection)]?.credits {
            workers[ObjectIdentifier(connection)]?.credits = min(WireLimits.maxCredit, current + count)
        }
        lock.unlock()
        dispatch()
    }

    /// A result or an error came back for `txn` from `connection`. nil if that recognizer was
    /// never given that txn: then the result is not trusted to decide anything.
    func complete(_ txn: UInt64, from connection: MessageConnection) -> InFlight? {
        lock.lock(); defer { lock.unlock() }
        guard let sent = workers[ObjectIdentifier(connection)]?.inFlight.removeValue(forKey: txn) else { return nil }
        workers[ObjectIdentifier(connection)]?.results += 1
        return sent
    }

    /// Removes waiting detects that `isStale` says can no longer be decided; returns their txns.
    func dropWaiting(where isStale: (Detect) -> Bool) -> [UInt64] {
        lock.lock(); defer { lock.unlock() }
        let stale = waiting.filter { isStale($0.detect) }.map(\.detect.txn)
        waiting.removeAll { isStale($0.detect) }
        dropped += UInt64(stale.count)
        return stale
    }

    /// Pairs waiting detects with recognizers that have credit, and sends them. Sending happens
    /// outside the lock: a recognizer that stopped reading blocks only its own send.
    private func dispatch() {
        while true {
            lock.lock()
            guard !waiting.isEmpty,
                  let key = workers.filter({ $0.value.credits > 0 })
                      .min(by: { $0.value.inFlight.count < $1.value.inFlight.count })?.key else {
                lock.unlock()
                return
            }
            let job = waiting.removeFirst()
            workers[key]!.credits -= 1
            workers[key]!.inFlight[job.detect.txn] = InFlight(camera: job.camera, captureWallNs: job.detect.frame.captureWallNs)
            workers[key]!.sent += 1
            let connection = workers[key]!.connection
            lock.unlock()
            do {
                try connection.send(.detect(job.detect))
                tap.publish(.sent, peer: connection.peerLabel, .detect(job.detect))
                log.debug("detect sent", ["camera": job.camera, "txn": hexTxn(job.detect.txn), "peer": connection.peerLabel])
            } catch {
                log.warning("send to recognizer failed, closing it", ["peer": connection.peerLabel, "txn": hexTxn(job.detect.txn),
                                                                     "error": "\(error)"])
                connection.close()
            }
        }
    }

    var status: [[String: Any]] {
        lock.lock(); defer { lock.unlock() }
        return workers.values.map { w in
            ["peer": w.connection.peerLabel, "name": w.connection.peerHello?.name ?? "", "credits": w.credits,
             "in_flight": w.inFlight.count, "sent": w.sent, "results": w.results] as [String: Any]
        }.sorted { ($0["peer"] as! String) < ($1["peer"] as! String) }
    }

    var waitingCount: Int {
        lock.lock(); defer { lock.unlock() }
        return waiting.count
    }
}
