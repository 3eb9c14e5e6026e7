import Foundation
import ProcessSupport
import Synchronization
import Vocabulary

/// Keeps one camera's frames coming: builds the pipeline, hands every frame to `onFrame` on
/// the session's own thread, and when the camera fails (bus error, end of a live stream, no
/// frame for `noFrameTimeout`) tears the pipeline down and builds a new one after a backoff,
/// forever, until `stop()`. Every state change is one log line carrying the camera id.
///
/// `onFrame` runs on the capture thread; while it runs, newer frames replace each other in the
/// appsink (one slot), so a slow handler sees fewer, fresh frames, never a backlog.
///
/// Reason for @unchecked: the thread, state, totals and pipeline are guarded by `lock`.
public final class CaptureSession: @unchecked Sendable {
    public enum State: String, Sendable {
        case idle, starting, running, restarting, finished, stopped
    }

    public let cameraId: String
    public let source: CaptureSource
    public let settings: CaptureSettings

    private let log: Log
    private let onFrame: @Sendable (CapturedFrame) -> Void
    private let stopFlag = StopFlag()
    private let lock = NSLock()
    private var thread: Thread?
    private var finishedThread = false
    private var currentState: State = .idle
    private var totals = CaptureCounters()
    private var current: CapturePipeline?
    private var nextSeq: UInt64 = 1
    private let pullTimeoutNs: UInt64 = 100_000_000
    private let activity = Atomic<UInt64>(0)

    public init(cameraId: String, source: CaptureSource, settings: CaptureSettings = CaptureSettings(),
                log: Log = Log(component: "capture"), onFrame: @escaping @Sendable (CapturedFrame) -> Void) {
        self.cameraId = cameraId
        self.source = source
        self.settings = settings
        self.log = log.with(["camera": cameraId])
        self.onFrame = onFrame
    }

    deinit { stop() }

    public var state: State {
        lock.lock(); defer { lock.unlock() }
        return currentState
    }

    /// Totals so far, including the running pipeline.
    public var counters: CaptureCounters {
        lock.lock(); defer { lock.unlock() }
        var result = totals
        if let current { CaptureSession.add(current, to: &result) }
        return result
    }

    /// When the session thread last went round its loop (CLOCK_MONOTONIC ns; 0 before start).
    /// It goes round at least every 100 ms while running or waiting to restart, so a stale value
    /// means the thread is stuck (for the systemd watchdog).
    public var lastActivityMonotonicNs: UInt64 { activity.load(ordering: .relaxed) }

    private func markActivity() { activity.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed) }

    public func start() {
        lock.lock(); defer { lock.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [self] in run() }
        thread.name = "capture-\(cameraId)"
        self.thread = thread
        thread.start()
    }

    /// Stops capturing and waits for the pipeline to be torn down. Idempotent.
    public func stop() {
        stopFlag.stop()
        _ = waitUntilDone(timeout: 30)
    }

    /// Waits until the session thread ended (after `stop()`, or when a non-looping file or image ended).
    @discardableResult
    public func waitUntilDone(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            lock.lock()
            let done = thread == nil || finishedThread
            lock.unlock()
            if done { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    // MARK: session thread

    private enum Outcome {
        case stopped
        case finished
        case failed(String)
    }

    private func run() {
        log.info("capture starting", ["source": source.logDescription, "format": settings.pixelFormat.description,
                                      "max_width": settings.maxWidth.map(String.init) ?? "none",
                                      "max_fps": settings.maxFps.map { String(describing: $0) } ?? "none"])
        var backoff = Backoff(initial: settings.restartBackoffInitial, maximum: settings.restartBackoffMaximum)
        loop: while !stopFlag.isStopped {
            setState(.starting)
            var deliveredAny = false
            let outcome = runPipeline(deliveredAny: &deliveredAny)
            if deliveredAny { backoff.reset() }
            switch outcome {
            case .stopped:
                break loop
            case .finished:
                setState(.finished)
                log.info("capture finished: end of stream", ["frames": counters.captured])
                lock.lock(); finishedThread = true; lock.unlock()
                return
            case let .failed(reason):
                let delay = backoff.next()
                lock.lock(); totals.restarts += 1; lock.unlock()
                setState(.restarting)
                log.warning("camera failed, restarting pipeline", ["reason": reason, "retry_in_s": String(format: "%.2f", delay),
                                                                   "attempt": backoff.attempt])
                if waitWhileActive(seconds: delay) { break loop }
            }
        }
        setState(.stopped)
        log.info("capture stopped", ["frames": counters.captured, "dropped": counters.dropped, "restarts": counters.restarts])
        lock.lock(); finishedThread = true; lock.unlock()
    }

    /// Sleeps up to `seconds`, marking activity as it goes; true if stopped meanwhile.
    private func waitWhileActive(seconds: Double) -> Bool {
        var left = seconds
        while left > 0 {
            markActivity()
            if stopFlag.wait(seconds: min(left, 0.1)) { return true }
            left -= 0.1
        }
        return stopFlag.isStopped
    }

    private func runPipeline(deliveredAny: inout Bool) -> Outcome {
        let description = PipelineDescription(source: source, settings: settings)
        log.debug("building pipeline", ["launch": description.launch])
        let pipeline: CapturePipeline
        do {
            pipeline = try CapturePipeline(description: description, pixelFormat: settings.pixelFormat)
        } catch {
            return .failed(error.description)
        }
        if pipeline.clockOffsetNs != 0 {
            log.warning("pipeline clock is not CLOCK_MONOTONIC; correcting by measured offset", ["offset_ns": pipeline.clockOffsetNs])
        }
        lock.lock(); current = pipeline; lock.unlock()
        defer {
            pipeline.tearDown()
            lock.lock()
            CaptureSession.add(pipeline, to: &totals)
            current = nil
            lock.unlock()
        }
        do {
            try pipeline.start()
        } catch {
            return .failed(error.description)
        }

        var lastProgress = MonotonicClock.nowNanoseconds()
        var warnedUntimed = false
        let timeoutNs = UInt64(settings.noFrameTimeout * 1e9)
        var gate = RateGate(maxFps: settings.maxFps, source: source)
        while true {
            markActivity()
            if stopFlag.isStopped { return .stopped }
            if let pulled = pipeline.pull(timeoutNs: pullTimeoutNs) {
                lastProgress = MonotonicClock.nowNanoseconds()
                guard gate.admit(pulled.captureMonotonicNs) else {
                    pipeline.gated.increment()
                    continue
                }
                pipeline.delivered.increment()
                if !deliveredAny {
                    deliveredAny = true
                    setState(.running)
                    log.info("first frame", ["width": pulled.width, "height": pulled.height, "stride": pulled.stride,
                                             "format": settings.pixelFormat.description,
                                             "age_ms": String(format: "%.2f", Double(Int64(lastProgress) - Int64(pulled.captureMonotonicNs)) / 1e6)])
                }
                if !pulled.hasPipelineTimestamp {
                    lock.lock(); totals.untimed += 1; lock.unlock()
                    if !warnedUntimed {
                        warnedUntimed = true
                        log.warning("frame without timestamp; stamping such frames when pulled")
                    }
                }
                deliver(pulled)
            } else if pipeline.isAtEndOfStream {
                // An appsink at EOS returns at once; let the bus message below decide.
                Thread.sleep(forTimeInterval: 0.005)
            }

            for event in pipeline.pollBus() {
                switch event {
                case .playing:
                    log.info("pipeline playing")
                case let .warning(text):
                    log.warning("pipeline warning", ["detail": text])
                case let .error(text):
                    return .failed("error: \(text)")
                case .endOfStream:
                    if case .file(_, loop: true) = source {
                        log.info("end of file, looping")
                        if pipeline.seekToStart() { lastProgress = MonotonicClock.nowNanoseconds(); continue }
                        return .failed("end of stream and seek to start failed")
                    }
                    if source.isLive { return .failed("end of stream") }
                    return .finished
                }
            }
            if MonotonicClock.nowNanoseconds() &- lastProgress > timeoutNs {
                return .failed(String(format: "no frame for %.1f s", settings.noFrameTimeout))
            }
        }
    }

    private func deliver(_ pulled: CapturePipeline.PulledFrame) {
        // Wall time of the same instant: now on the wall clock minus how long ago it was on the
        // monotonic clock. Read back to back, so the pair differs by well under a microsecond;
        // a wall-clock step (NTP) between capture and delivery shows up here unfiltered.
        let monoNow = MonotonicClock.nowNanoseconds()
        let wallNow = WallClock.nowNanoseconds()
        let wall = wallNow - (Int64(bitPattern: monoNow) - Int64(bitPattern: pulled.captureMonotonicNs))
        lock.lock()
        let seq = nextSeq
        nextSeq += 1
        totals.lastCaptureMonotonicNs = pulled.captureMonotonicNs
        lock.unlock()
        onFrame(CapturedFrame(seq: seq, captureMonotonicNs: pulled.captureMonotonicNs, captureWallNs: wall,
                              pixelFormat: settings.pixelFormat, width: pulled.width, height: pulled.height,
                              stride: pulled.stride, pixels: pulled.pixels))
    }

    private func setState(_ state: State) {
        lock.lock(); currentState = state; lock.unlock()
    }

    private static func add(_ pipeline: CapturePipeline, to counters: inout CaptureCounters) {
        let decoded = pipeline.decoded.value
        let admitted = min(pipeline.admitted.value, decoded)
        let gated = pipeline.gated.value
        let delivered = pipeline.delivered.value
        counters.decoded += decoded
        counters.captured += delivered
        counters.droppedByRateCap += decoded - admitted + gated
        counters.droppedBehind += admitted > delivered + gated ? admitted - delivered - gated : 0
    }
}

/// Finishes a fractional frame-rate cap that videorate (whole frames per second only) rounded
/// up: at most one frame per 1/maxFps slot of capture time. Inactive for whole-number caps and
/// for image sources, which are produced at the capped rate in the first place.
struct RateGate {
    private let intervalNs: UInt64?
    private var lastSlot: UInt64?

    init(maxFps: Double?, source: CaptureSource) {
        var isImage = false
        if case .image = source { isImage = true }
        if let maxFps, maxFps != maxFps.rounded(), !isImage {
            intervalNs = UInt64(1e9 / maxFps)
        } else {
            intervalNs = nil
        }
    }

    mutating func admit(_ captureNs: UInt64) -> Bool {
        guard let intervalNs else { return true }
        let slot = captureNs / intervalNs
        if let lastSlot, slot <= lastSlot { return false }
        lastSlot = slot
        return true
    }
}
