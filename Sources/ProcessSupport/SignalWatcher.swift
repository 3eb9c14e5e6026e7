import Dispatch
import Foundation

/// Turns SIGTERM/SIGINT into a callback on a dispatch queue, so shutdown runs as ordinary code
/// (close sockets, flush the audit, tell systemd STOPPING) instead of inside a signal handler.
/// SIGPIPE is ignored: a peer that goes away must surface as EPIPE on that connection, not kill us.
/// Reason for @unchecked: `sources` is filled in init and only kept alive after.
public final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "facegate.signals")

    public init(signals: [Int32] = [SIGTERM, SIGINT], handler: @escaping @Sendable (Int32) -> Void) {
        for signo in signals {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { handler(signo) }
            source.resume()
            sources.append(source)
        }
    }

    /// Call once at process start.
    public static func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }
}

/// A one-shot flag that long-running loops poll and that blocking waits can sleep on.
///
/// Reason for @unchecked: `stopped` and the watcher are guarded by `condition`, which waits sleep on.
public final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    /// Held here so the signal sources live exactly as long as the flag they set.
    private var signalWatcher: SignalWatcher?

    public init() {}

    /// SIGTERM and SIGINT stop this flag, with one log line. The daemons' shutdown path: their
    /// loops wait on the flag and then close sockets, flush and tell systemd STOPPING.
    public func stopOnTerminationSignals(log: Log) {
        let watcher = SignalWatcher { [weak self] signo in
            guard let self, !self.isStopped else { return }
            log.info("signal received, shutting down", ["signal": signo == SIGTERM ? "SIGTERM" : "SIGINT"])
            self.stop()
        }
        condition.lock(); signalWatcher = watcher; condition.unlock()
    }

    public var isStopped: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopped
    }

    public func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
    }

    /// Sleeps up to `seconds`; returns true if stopped meanwhile. For backoff waits that must
    /// end at once on SIGTERM.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return stopped
    }

    /// Blocks until stopped.
    public func waitForever() {
        condition.lock(); defer { condition.unlock() }
        while !stopped { condition.wait() }
    }
}
