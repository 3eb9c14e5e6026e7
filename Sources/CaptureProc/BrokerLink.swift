import Foundation
import ProcessSupport
import Synchronization
import WireProtocol
import WireTransport

/// This process's connection to the broker's capture socket: a `BrokerClient` (hello naming the
/// camera, reconnect forever, heartbeats) plus the one-frame slot that feeds it frames.
///
/// Frames never queue. The capture thread hands each frame to a one-frame slot and returns at
/// once; a sender thread takes the slot's content and writes it. A frame that arrives while the
/// previous one is still being written replaces the waiting one (counted as `replaced`), and
/// while the broker is away frames are dropped on arrival (counted as `brokerAway`). So the
/// frame being sent is at most one frame interval plus one write old, however slow the broker.
/// Reason for @unchecked: the slot, the stop flag and the counters are guarded by `condition`,
/// which the sender thread also waits on.
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

    private let maxBodyLength: Int
    private let log: Log
    /// Set once in init (its handlers need `self`), read-only after.
    private var client: BrokerClient!

    private let condition = NSCondition()
    private var pending: VideoFrame?
    private var stopped = false
    private var counters = Counters()
    private let sender = DispatchGroup()

    init(socketPath: String, hello: Hello, maxBodyLength: Int, log: Log, tap: TapHub?,
         heartbeatInterval: Double = 1, sendTimeout: Double = 5,
         heartbeatCounters: @escaping @Sendable () -> [Counter]) {
        self.maxBodyLength = maxBodyLength
        self.log = log.with(["broker": socketPath])
        let options = BrokerClient.Options(socketPath: socketPath, hello: hello, maxBodyLength: maxBodyLength,
                                           sendTimeout: sendTimeout, heartbeatInterval: heartbeatInterval,
                                           whileAway: "dropping frames")
        client = BrokerClient(options: options, log: log, tap: tap, handlers: BrokerClient.Handlers(
            received: { [log] message, _ in log.debug("ignoring message from broker", ["kind": message.kind]) },
            disconnected: { [weak self] _ in self?.brokerLeft() },
            heartbeat: { Heartbeat(monotonicNs: MonotonicClock.nowNanoseconds(), counters: heartbeatCounters()) },
            heartbeatSent: { [weak self] in self?.heartbeatSent() }))
    }

    var isConnected: Bool { client.isConnected }

    var snapshot: Counters {
        condition.lock(); defer { condition.unlock() }
        var c = counters
        c.reconnects = client.reconnects
        return c
    }

    func start() {
        client.start()
        sender.enter()
        Thread.detachNewThread { [self] in sendLoop(); sender.leave() }
    }

    /// Closes the connection and ends both threads.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        client.stop()
        _ = sender.wait(timeout: .now() + 10)
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
        guard client.isConnected, !stopped else {
            counters.droppedBrokerAway += 1
            return
        }
        if pending != nil { counters.droppedReplaced += 1 }
        pending = frame
        condition.broadcast()
    }

    // MARK: sender thread

    private func sendLoop() {
        while true {
            condition.lock()
            while !stopped && pending == nil { condition.wait() }
            if stopped { condition.unlock(); return }
            let frame = pending!
            pending = nil
            condition.unlock()

            guard let open = client.connection else {
                condition.lock(); counters.droppedBrokerAway += 1; condition.unlock()
                continue
            }
            let now = MonotonicClock.nowNanoseconds()
            let age = now > frame.captureMonotonicNs ? now - frame.captureMonotonicNs : 0
            condition.lock()
            counters.sendAgeMaxWindowNs = max(counters.sendAgeMaxWindowNs, age)
            counters.sendAgeMaxNs = max(counters.sendAgeMaxNs, age)
            condition.unlock()
            let sent = client.send(.frame(frame), on: open)
            condition.lock()
            if sent { counters.sent += 1 } else { counters.droppedSendFailed += 1 }
            condition.unlock()
        }
    }

    private func heartbeatSent() {
        condition.lock()
        counters.heartbeatsSent += 1
        counters.sendAgeMaxWindowNs = 0
        condition.unlock()
    }

    /// A frame waiting for a connection that is gone will never be sent.
    private func brokerLeft() {
        condition.lock()
        if pending != nil { pending = nil; counters.droppedBrokerAway += 1 }
        condition.unlock()
    }
}
