import Dispatch
import GalleryStore
import ProcessSupport

/// The broker's one writer of the audit: a FIFO served by a serial queue, so the socket reader
/// that decided a frame never waits for SQLite's synchronous commit.
///
/// A frame's rows are one transaction; only after it committed does the frame's continuation
/// run (it publishes the unlock commands), still on the writer, before the next write. That
/// keeps the write-ahead rule (never a command without its row) and makes the order row →
/// publish → delivery outcome → confirmation explicit: outcomes are queued behind the row
/// they update, on the same queue.
///
/// Frames are bounded by `capacity`. A frame that finds the queue full makes its caller wait
/// (the reader stops reading its socket: backpressure), is counted and logged, never dropped.
/// Updates and event rows (`perform`) never wait: they come from MQTT's network thread and
/// from the writer's own continuations, where waiting for room could wait on itself, and their
/// number is bounded by their sources (one outcome per command, one row per flood burst).
final class AuditWriter: Sendable {
    /// What a drain left unwritten.
    struct Backlog: Sendable, Equatable {
        /// The labels of the frames whose rows were not written, oldest first.
        var frames: [String]
        var updates: Int
        /// Frames decided but not even queued: their callers were waiting for room.
        var waitingForRoom = 0
        var isEmpty: Bool { frames.isEmpty && updates == 0 && waitingForRoom == 0 }
    }

    /// The writer is closed: the stop has drained it; nothing more is written.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the audit writer is closed (broker stopping)" }
    }

    let capacity: Int
    private let store: GalleryStore
    private let log: Log
    private let warningIntervalNs: UInt64
    private let queue = DispatchQueue(label: "facegate.broker.audit")
    /// One permit per frame that may be queued. Starts at 0 and is signalled up to `capacity`:
    /// libdispatch refuses to free a semaphore whose count is below its initial value.
    private let room = DispatchSemaphore(value: 0)
    /// Entered per queued write, left when it (and a frame's continuation) is done: `drain`.
    private let outstanding = DispatchGroup()
    private let state = Locked(State())

    private struct State {
        var nextID = 0
        /// Frames queued or being written: id → label.
        var frames: [Int: String] = [:]
        var updates = 0
        var waitingForRoom = 0
        var timesFull = 0
        var fullSinceWarning = 0
        var lastWarningNs: UInt64?
        var failures = 0
        var closed = false
    }

    /// - Parameter warningInterval: at most one "queue full" line per this many seconds; the
    ///   line carries how many frames waited since the last one.
    init(store: GalleryStore, capacity: Int, log: Log, warningInterval: Double = 10) {
        precondition(capacity >= 1, "audit queue capacity must be at least 1")
        self.store = store
        self.capacity = capacity
        self.log = log
        warningIntervalNs = UInt64(warningInterval * 1e9)
        for _ in 0..<capacity { room.signal() }
    }

    // MARK: Writing

    /// Queues the rows of one frame (one transaction), then `committed` with their ids, in
    /// queue order on the writer; or `failed` if the transaction failed (nothing written, the
    /// failure counted). Returns once queued: at once while fewer than `capacity` frames wait,
    /// otherwise when one has been written. On a closed writer, `failed` runs at once with
    /// `Closed`.
    /// `crops[i]`, when there is one, is kept with row `i` in the same transaction.
    func appendFrame(_ entries: [AuditEntry], crops: [AuditCrop?] = [], label: String,
                     committed: @escaping @Sendable ([Int64]) -> Void, failed: @escaping @Sendable (any Error) -> Void) {
        if room.wait(timeout: .now()) == .timedOut {
            noteFull()
            room.wait()
            state.withLock { $0.waitingForRoom -= 1 }
        }
        let id: Int? = state.withLock { s in
            guard !s.closed else { return nil }
            s.nextID += 1
            s.frames[s.nextID] = label
            return s.nextID
        }
        guard let id else {
            room.signal()
            countFailure()
            return failed(Closed())
        }
        outstanding.enter()
        queue.async { [self] in
            defer {
                _ = state.withLock { $0.frames.removeValue(forKey: id) }
                room.signal()
                outstanding.leave()
            }
            let ids: [Int64]
            do {
                ids = try store.appendAudit(entries, crops: crops)
            } catch {
                countFailure()
                return failed(error)
            }
            committed(ids)
        }
    }

    /// Queues a write that never waits for room: a delivery outcome or confirmation of a row
    /// written earlier on this queue, or a row of its own (a flood suspension). `failed` runs
    /// on the writer if it throws (the failure counted), at once with `Closed` if closed.
    func perform(_ write: @escaping @Sendable (GalleryStore) throws -> Void, failed: @escaping @Sendable (any Error) -> Void) {
        let open: Bool = state.withLock { s in
            guard !s.closed else { return false }
            s.updates += 1
            return true
        }
        guard open else {
            countFailure()
            return failed(Closed())
        }
        outstanding.enter()
        queue.async { [self] in
            defer {
                state.withLock { $0.updates -= 1 }
                outstanding.leave()
            }
            do {
                try write(store)
            } catch {
                countFailure()
                failed(error)
            }
        }
    }

    // MARK: Stopping

    /// Waits up to `timeout` seconds until everything queued so far is written and each frame's
    /// continuation has run. Returns what is still queued (empty when drained).
    func drain(timeout: Double) -> Backlog {
        _ = outstanding.wait(timeout: .now() + max(0, timeout))
        return backlog
    }

    /// From now on nothing is queued: writes fail with `Closed`. Call after the last drain.
    func close() {
        state.withLock { $0.closed = true }
    }

    // MARK: Status

    /// Frames queued or being written.
    var depth: Int { state.withLock { $0.frames.count } }
    /// Frames that found the queue full and made their reader wait.
    var timesFull: Int { state.withLock { $0.timesFull } }
    /// Writes that failed (rows or updates not written).
    var failures: Int { state.withLock { $0.failures } }

    var backlog: Backlog {
        state.withLock { s in
            Backlog(frames: s.frames.keys.sorted().map { s.frames[$0]! }, updates: s.updates, waitingForRoom: s.waitingForRoom)
        }
    }

    private func countFailure() {
        state.withLock { $0.failures += 1 }
    }

    private func noteFull() {
        let now = MonotonicClock.nowNanoseconds()
        let report: (waits: Int, total: Int)? = state.withLock { s in
            s.timesFull += 1
            s.waitingForRoom += 1
            s.fullSinceWarning += 1
            if let last = s.lastWarningNs, now &- last < warningIntervalNs { return nil }
            defer { s.lastWarningNs = now; s.fullSinceWarning = 0 }
            return (s.fullSinceWarning, s.timesFull)
        }
        if let report {
            log.warning("audit queue full; recognizer results wait for the disk", [
                "capacity": capacity, "waits": report.waits, "total_waits": report.total,
            ])
        }
    }
}
