import FaceEngine
import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// This process's connection to the broker's recognizer socket and the workers that answer
/// its detects. The connection itself is a `BrokerClient` (hello, reconnect forever, heartbeats).
///
/// Flow control is the broker's pull model: we announce credit for as many detects as we have
/// idle workers, and one more each time a worker finishes, so nothing ever queues here beyond
/// what the workers can start at once. The connection is re-made forever with backoff; a
/// detect whose connection died before its answer was ready is answered nowhere (the broker
/// already wrote that txn off when the connection closed).
///
/// A detect whose frame fails validation (dimensions, stride, pixel count) is answered with
/// an `invalid-frame` error for its txn and the connection stays up: the length prefix still
/// delimited it, so the stream is in step. Any other undecodable message is a protocol fault:
/// the broker is told why and the connection is re-made.
final class BrokerSession: @unchecked Sendable {
    struct Counters: Sendable {
        var detectsReceived: UInt64 = 0
        var resultsSent: UInt64 = 0
        var errorsSent: UInt64 = 0
        var invalidFrames: UInt64 = 0
        var facesFound: UInt64 = 0
        var answersDropped: UInt64 = 0
        var creditViolations: UInt64 = 0
        var protocolFaults: UInt64 = 0
        var reconnects: UInt64 = 0
        var detectMicrosTotal: UInt64 = 0
        var descriptorMicrosTotal: UInt64 = 0
        /// Frames whose detect asked for 68-point landmarks, and the time spent fitting them.
        var landmarkFrames: UInt64 = 0
        var landmarksMicrosTotal: UInt64 = 0
    }

    private struct Job {
        let detect: Detect
        let connection: MessageConnection
        let receivedNs: UInt64
    }

    let options: RecognizerOptions
    private let processor: DetectProcessor
    private let log: Log
    private let workers: Int
    /// Set once in init (its handlers need `self`), read-only after.
    private var client: BrokerClient!

    private let condition = NSCondition()
    /// The connection detects come from, as far as the workers are concerned: an answer goes
    /// out only on the connection its detect came in on.
    private var connection: MessageConnection?
    private var queue: [Job] = []
    private var busySince: [UInt64]
    /// Credit announced on the current connection and not yet used by a detect.
    private var granted = 0
    private var stopped = false
    private var counters = Counters()
    private let threads = DispatchGroup()
    /// Told the seconds a worker spent on each frame (detection, landmarks, descriptors).
    private let recordEngineTime: @Sendable (Double) -> Void

    init(options: RecognizerOptions, processor: DetectProcessor, log: Log, tap: TapHub?,
         recordEngineTime: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.options = options
        self.processor = processor
        self.log = log.with(["broker": options.brokerSocket])
        workers = options.engine.threads
        busySince = Array(repeating: 0, count: options.engine.threads)
        self.recordEngineTime = recordEngineTime
        let hello = Hello(role: .recognizer, name: options.name, pid: UInt32(getpid()))
        let clientOptions = BrokerClient.Options(socketPath: options.brokerSocket, hello: hello,
                                                 maxBodyLength: options.maxBodyLength, sendTimeout: 10,
                                                 heartbeatInterval: options.heartbeatInterval)
        client = BrokerClient(options: clientOptions, log: log, tap: tap, handlers: BrokerClient.Handlers(
            connected: { [weak self] in self?.brokerConnected($0) },
            received: { [weak self] in self?.received($0, on: $1) },
            undecodable: { [weak self] body, error, open in self?.undecodable(body, error, on: open) ?? false },
            disconnected: { [weak self] in self?.brokerLeft($0) },
            heartbeat: { [weak self] in
                Heartbeat(monotonicNs: MonotonicClock.nowNanoseconds(), counters: self.map { Self.wireCounters($0.snapshot) } ?? [])
            }))
    }

    var isConnected: Bool { client.isConnected }

    var snapshot: Counters {
        condition.lock()
        var c = counters
        condition.unlock()
        c.reconnects = client.reconnects
        c.protocolFaults = client.protocolFaults
        return c
    }

    /// Detects waiting for a worker, and workers inside a frame.
    var load: (queued: Int, busy: Int) {
        condition.lock(); defer { condition.unlock() }
        return (queue.count, busySince.filter { $0 != 0 }.count)
    }

    /// How long the longest-running frame has been in a worker; nil when all are idle.
    var longestBusyNs: UInt64? {
        condition.lock(); defer { condition.unlock() }
        let now = MonotonicClock.nowNanoseconds()
        return busySince.filter { $0 != 0 }.map { now &- $0 }.max()
    }

    func start() {
        for index in 0..<workers {
            threads.enter()
            Thread.detachNewThread { [self] in workerLoop(index); threads.leave() }
        }
        client.start()
    }

    /// Closes the connection and ends every thread; a frame being processed is finished first
    /// (dlib cannot be interrupted), its answer dropped.
    func stop(timeout: Double = 15) {
        condition.lock()
        stopped = true
        connection = nil
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
        client.stop(timeout: timeout)
        if threads.wait(timeout: .now() + timeout) == .timedOut {
            log.warning("a worker is still inside a frame; exiting without it")
        }
    }

    // MARK: Connection

    private func brokerConnected(_ open: MessageConnection) {
        condition.lock()
        connection = open
        granted = 0
        let credit = grantableLocked()
        condition.unlock()
        log.info("announcing credit", ["credit": credit])
        if credit > 0 { client.send(.credit(Credit(count: UInt32(credit))), on: open) }
    }

    private func brokerLeft(_ open: MessageConnection) {
        condition.lock()
        if connection === open { connection = nil }
        let orphaned = queue.filter { $0.connection === open }.count
        queue.removeAll { $0.connection === open }
        counters.answersDropped += UInt64(orphaned)
        condition.unlock()
        if orphaned > 0 { log.warning("detects queued for a lost connection dropped", ["queued_dropped": orphaned]) }
    }

    private func received(_ message: Message, on open: MessageConnection) {
        switch message {
        case let .detect(detect):
            accept(detect, from: open)
        default:
            log.debug("ignoring message from broker", ["kind": message.kind])
        }
    }

    /// A detect whose frame does not decode is answered with an error for its txn; anything
    /// else undecodable is a protocol fault.
    private func undecodable(_ body: [UInt8], _ error: WireError, on open: MessageConnection) -> Bool {
        guard let txn = Self.detectTxn(body) else { return false }
        answerInvalidDetect(txn: txn, error: error, on: open)
        return true
    }

    /// The txn of a body that is a detect, read from its first field (kind u8, txn u64) even
    /// when the rest does not decode.
    static func detectTxn(_ body: [UInt8]) -> UInt64? {
        guard body.count >= 9, body[0] == MessageKind.detect.rawValue else { return nil }
        return body[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private func answerInvalidDetect(txn: UInt64, error: WireError, on open: MessageConnection) {
        condition.lock()
        counters.detectsReceived += 1
        counters.invalidFrames += 1
        counters.errorsSent += 1
        if granted > 0 { granted -= 1 }
        let credit = grantableLocked()
        condition.unlock()
        log.warning("detect with an invalid frame; answering with an error", ["txn": hexTxn(txn), "error": error.description])
        send(.error(ErrorMessage(code: .invalidFrame, txn: txn, text: error.description)), on: open)
        if credit > 0 { send(.credit(Credit(count: UInt32(credit))), on: open) }
    }

    private func accept(_ detect: Detect, from open: MessageConnection) {
        condition.lock()
        counters.detectsReceived += 1
        if granted > 0 {
            granted -= 1
        } else {
            counters.creditViolations += 1
            log.warning("detect without credit; processing it anyway", ["camera": detect.frame.camera, "txn": hexTxn(detect.txn)])
        }
        queue.append(Job(detect: detect, connection: open, receivedNs: MonotonicClock.nowNanoseconds()))
        // Broadcast: the heartbeat and backoff waits share this condition.
        condition.broadcast()
        condition.unlock()
    }

    /// Credit we can still announce: idle workers not yet promised a detect. Caller holds the lock.
    private func grantableLocked() -> Int {
        guard connection != nil, !stopped else { return 0 }
        let busy = busySince.filter { $0 != 0 }.count
        let free = workers - busy - queue.count - granted
        guard free > 0 else { return 0 }
        granted += free
        return free
    }

    // MARK: Workers

    private func workerLoop(_ index: Int) {
        while true {
            condition.lock()
            while !stopped && queue.isEmpty { condition.wait() }
            if stopped { condition.unlock(); return }
            let job = queue.removeFirst()
            busySince[index] = MonotonicClock.nowNanoseconds()
            condition.unlock()

            let started = MonotonicClock.nowNanoseconds()
            let processed = processor.answer(job.detect)
            recordEngineTime(Double(MonotonicClock.nowNanoseconds() &- started) / 1e9)
            let answer = processed.message

            condition.lock()
            busySince[index] = 0
            let current = connection
            let deliverable = current === job.connection
            switch answer {
            case let .result(result):
                counters.facesFound += UInt64(result.faces.count)
                counters.detectMicrosTotal += UInt64(result.detectMicros)
                counters.descriptorMicrosTotal += UInt64(result.descriptorMicros)
                if let micros = processed.landmarksMicros {
                    counters.landmarkFrames += 1
                    counters.landmarksMicrosTotal += micros
                }
                if deliverable { counters.resultsSent += 1 }
            case let .error(error):
                if error.code == .invalidFrame { counters.invalidFrames += 1 }
                if deliverable { counters.errorsSent += 1 }
            default:
                break
            }
            if !deliverable { counters.answersDropped += 1 }
            let credit = grantableLocked()
            condition.unlock()

            let frame = job.detect.frame
            let flog = log.with(["camera": frame.camera, "txn": hexTxn(job.detect.txn)])
            switch answer {
            case let .result(result):
                // The snapshot travels with the frame so this line says which touch it answers.
                let line = processed.landmarksMicros.map { flog.with(["landmarks_us": $0]) } ?? flog
                line.debug("frame answered", ["seq": frame.sequence, "faces": result.faces.count,
                                              "snapshot": MessageSummary.snapshotText(job.detect.snapshot),
                                              "detect_ms": Double(result.detectMicros) / 1000,
                                              "descriptor_ms": Double(result.descriptorMicros) / 1000,
                                              "age_ms": (MonotonicClock.nowNanoseconds() &- frame.captureMonotonicNs) / 1_000_000])
            case let .error(error):
                flog.warning("frame could not be processed", ["seq": frame.sequence, "code": error.code, "error": error.text])
            default:
                break
            }
            if deliverable {
                send(answer, on: job.connection)
            } else {
                flog.info("answer dropped: its broker connection is gone", ["seq": frame.sequence])
            }
            if credit > 0, let current { send(.credit(Credit(count: UInt32(credit))), on: current) }
        }
    }

    // MARK: Heartbeats

    static func wireCounters(_ c: Counters) -> [Counter] {
        [Counter("detects_received", c.detectsReceived), Counter("results_sent", c.resultsSent),
         Counter("errors_sent", c.errorsSent), Counter("invalid_frames", c.invalidFrames),
         Counter("faces_found", c.facesFound), Counter("answers_dropped", c.answersDropped),
         Counter("credit_violations", c.creditViolations), Counter("protocol_faults", c.protocolFaults),
         Counter("broker_reconnects", c.reconnects), Counter("detect_us_total", c.detectMicrosTotal),
         Counter("descriptor_us_total", c.descriptorMicrosTotal), Counter("landmark_frames", c.landmarkFrames),
         Counter("landmarks_us_total", c.landmarksMicrosTotal)]
    }

    // MARK: Helpers

    private func send(_ message: Message, on open: MessageConnection) { client.send(message, on: open) }
}
