import Foundation
import ProcessSupport
import WireProtocol

/// This process's connection to the broker's capture socket: connects with a hello naming the
/// camera, reconnects forever with backoff, and sends frames and heartbeats.
///
/// Frames never queue. The capture thread hands each frame to a one-frame slot and returns at
/// once; a sender thread takes the slot's content and writes it. A frame that arrives while the
/// previous one is still being written replaces the waiting one (counted as `replaced`), and
/// while the broker is away frames are dropped on arrival (counted as `brokerAway`). So the
/// frame being sent is at most one frame interval plus one write old, however slow the broker.
final class BrokerLink: @unchecked Sendable {
    struct Counters: Sendable {
        var sent: UInt64 = 0
        var droppedBrokerAway: UInt64 = 0
        var droppedReplaced: UInt64 = 0
        var droppedSendFailed: UInt64 = 0
        /// Frames bigger than the broker's message limit (it would close the connection on them).
        var droppedTooLarge: UInt64 = 0
        var reconnects: UInt64 = 0
        var heartbeatsSent: UInt64 = 0
        /// Largest (send start - capture time) since the previous heartbeat, and ever.
        var sendAgeMaxWindowNs: UInt64 = 0
        var sendAgeMaxNs: UInt64 = 0

        var dropped: UInt64 { droppedBrokerAway + droppedReplaced + droppedSendFailed + droppedTooLarge }
    }

    let socketPath: String
    private let hello: Hello
    private let maxBodyLength: Int
    private let log: Log
    private let tap: TapHub?
    private let heartbeatInterval: Double
    private let sendTimeout: Double
    /// The process's counters to put in each heartbeat (capture and link together).
    private let heartbeatCounters: @Sendable () -> [Counter]

    private let condition = NSCondition()
    private var connection: MessageConnection?
    private var pending: VideoFrame?
    private var stopped = false
    private var everConnected = false
    private var counters = Counters()
    private let threads = DispatchGroup()

    init(socketPath: String, hello: Hello, maxBodyLength: Int, log: Log, tap: TapHub?,
         heartbeatInterval: Double = 1, sendTimeout: Double = 5,
         heartbeatCounters: @escaping @Sendable () -> [Counter]) {
        self.socketPath = socketPath
        self.hello = hello
        self.maxBodyLength = maxBodyLength
        self.log = log.with(["broker": socketPath])
        self.tap = tap
        self.heartbeatInterval = heartbeatInterval
        self.sendTimeout = sendTimeout
        self.heartbeatCounters = heartbeatCounters
    }

    var isConnected: Bool {
        condition.lock(); defer { condition.unlock() }
        return connection != nil
    }

    var snapshot: Counters {
        condition.lock(); defer { condition.unlock() }
        return counters
    }

    func start() {
        threads.enter()
        Thread.detachNewThread { [self] in connectLoop(); threads.leave() }
        threads.enter()
        Thread.detachNewThread { [self] in sendLoop(); threads.leave() }
    }

    /// Closes the connection and ends both threads.
    func stop() {
        condition.lock()
        stopped = true
        let open = connection
        connection = nil
        condition.broadcast()
        condition.unlock()
        open?.close()
        _ = threads.wait(timeout: .now() + 10)
    }

    /// Called on the capture thread for every frame; never blocks on the network.
    func offer(_ frame: VideoFrame) {
        condition.lock(); defer { condition.unlock() }
        // The frame message's fixed fields and camera id take well under 512 bytes.
        if frame.pixels.count + 512 > maxBodyLength {
            counters.droppedTooLarge += 1
            if counters.droppedTooLarge == 1 {
                log.error("frame larger than the broker's message limit; dropping such frames (lower max_width or raise max_frame_bytes)",
                          ["width": frame.width, "height": frame.height, "bytes": frame.pixels.count, "limit": maxBodyLength])
            }
            return
        }
        guard connection != nil, !stopped else {
            counters.droppedBrokerAway += 1
            return
        }
        if pending != nil { counters.droppedReplaced += 1 }
        pending = frame
        condition.broadcast()
    }

    // MARK: sender thread

    private func sendLoop() {
        var nextHeartbeat = MonotonicClock.nowNanoseconds() + UInt64(heartbeatInterval * 1e9)
        while true {
            condition.lock()
            while !stopped && pending == nil && MonotonicClock.nowNanoseconds() < nextHeartbeat {
                let remaining = Double(nextHeartbeat &- MonotonicClock.nowNanoseconds()) / 1e9
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(0.001, remaining)))
            }
            if stopped { condition.unlock(); return }
            let frame = pending
            pending = nil
            let open = connection
            condition.unlock()

            let now = MonotonicClock.nowNanoseconds()
            if now >= nextHeartbeat {
                nextHeartbeat = now + UInt64(heartbeatInterval * 1e9)
                if let open { sendHeartbeat(on: open) }
            }
            guard let frame else { continue }
            guard let open else {
                condition.lock(); counters.droppedBrokerAway += 1; condition.unlock()
                continue
            }
            let age = now > frame.captureMonotonicNs ? now - frame.captureMonotonicNs : 0
            condition.lock()
            counters.sendAgeMaxWindowNs = max(counters.sendAgeMaxWindowNs, age)
            counters.sendAgeMaxNs = max(counters.sendAgeMaxNs, age)
            condition.unlock()
            let message = Message.frame(frame)
            if send(message, on: open) {
                condition.lock(); counters.sent += 1; condition.unlock()
            } else {
                condition.lock(); counters.droppedSendFailed += 1; condition.unlock()
            }
        }
    }

    private func sendHeartbeat(on open: MessageConnection) {
        let message = Message.heartbeat(Heartbeat(monotonicNs: MonotonicClock.nowNanoseconds(), counters: heartbeatCounters()))
        if send(message, on: open) {
            condition.lock()
            counters.heartbeatsSent += 1
            counters.sendAgeMaxWindowNs = 0
            condition.unlock()
        }
    }

    /// False when the write failed; the connection is then dropped, and the connect loop
    /// (whose reader sees it close) reconnects.
    private func send(_ message: Message, on open: MessageConnection) -> Bool {
        do {
            try open.send(message)
            tap?.publish(.sent, peer: "broker", message)
            return true
        } catch {
            condition.lock()
            let wasCurrent = connection === open
            if wasCurrent { connection = nil }
            let quitting = stopped
            condition.unlock()
            if wasCurrent && !quitting {
                log.warning("send to broker failed, dropping the connection", ["kind": message.kind, "error": "\(error)"])
            }
            open.close()
            return false
        }
    }

    // MARK: connect/reader thread

    private func connectLoop() {
        var backoff = Backoff(initial: 0.1, maximum: 5)
        var failures = 0
        while !isStopped {
            do {
                let open = try MessageConnection.connect(path: socketPath, hello: hello, expecting: [.broker],
                                                         maxBodyLength: maxBodyLength)
                open.socket.setSendTimeout(seconds: sendTimeout)
                condition.lock()
                if stopped { condition.unlock(); open.close(); return }
                connection = open
                if everConnected { counters.reconnects += 1 }
                everConnected = true
                condition.unlock()
                log.info("connected to broker", ["peer": open.peerHello?.name ?? "", "attempts": failures + 1])
                failures = 0
                backoff.reset()
                let reason = readUntilClosed(open)
                condition.lock()
                if connection === open { connection = nil }
                if pending != nil { pending = nil; counters.droppedBrokerAway += 1 }
                let quitting = stopped
                condition.unlock()
                open.close()
                if quitting { return }
                log.warning("broker connection lost; dropping frames until it is back", ["reason": reason])
            } catch {
                failures += 1
                if failures == 1 {
                    log.warning("broker unavailable; retrying with backoff, dropping frames meanwhile", ["error": "\(error)"])
                } else {
                    log.debug("broker still unavailable", ["error": "\(error)", "attempt": failures])
                }
            }
            if waitStopped(seconds: backoff.next()) { return }
        }
    }

    /// Reads what the broker sends (errors, heartbeats) until the connection ends; returns why.
    private func readUntilClosed(_ open: MessageConnection) -> String {
        do {
            while true {
                let message = try open.receive()
                tap?.publish(.received, peer: "broker", message)
                switch message {
                case let .error(error):
                    log.warning("broker reports an error", ["code": error.code, "text": error.text])
                case .heartbeat:
                    break
                default:
                    log.debug("ignoring message from broker", ["kind": message.kind])
                }
            }
        } catch WireError.closed {
            return "closed by broker"
        } catch {
            return "\(error)"
        }
    }

    private var isStopped: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopped
    }

    private func waitStopped(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock(); defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return stopped
    }
}
