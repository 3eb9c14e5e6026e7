import Dispatch
import Foundation

/// Turns SIGTERM/SIGINT into a callback on a dispatch queue, so shutdown runs as ordinary code
/// (close sockets, flush the audit, tell systemd STOPPING) instead of inside a signal handler.
/// SIGPIPE is ignored: a peer that goes away must surface as EPIPE on that connection, not kill us.
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
public final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    public init() {}

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
