import Foundation
import ProcessSupport
import Synchronization
import WireProtocol
import WireTransport

/// This process's connection to the broker's motion socket: hello as role motion for one
/// camera, reconnects forever with backoff, and sends the camera's motion when it changes.
///
/// The broker closes the camera's motion session whenever this link goes; after a
/// reconnect the current state is sent again, so motion that is still on (as the live
/// subscription says) is on again from then.
final class MotionLink: Sendable {
    private struct State {
        var connection: MessageConnection?
        var active = false
        var cameraWallNs: Int64 = 0
        var detail = ""
        var stopped = false
        var sent: UInt64 = 0
        var reconnects: UInt64 = 0
    }

    private let socketPath: String
    private let hello: Hello
    private let log: Log
    private let stateLock = Mutex(State())
    private let stopFlag = StopFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(socketPath: String, hello: Hello, log: Log) {
        self.socketPath = socketPath
        self.hello = hello
        self.log = log.with(["broker": socketPath])
    }

    var isConnected: Bool { stateLock.withLock { $0.connection != nil } }
    /// The motion state last reported (sent, or waiting for the broker).
    var motionState: Bool { stateLock.withLock { $0.active } }
    var counters: (sent: UInt64, reconnects: UInt64) { stateLock.withLock { ($0.sent, $0.reconnects) } }

    func start() {
        Thread.detachNewThread { [self] in connectLoop(); finished.signal() }
    }

    func stop() {
        let open = stateLock.withLock { s -> MessageConnection? in
            s.stopped = true
            defer { s.connection = nil }
            return s.connection
        }
        stopFlag.stop()
        open?.close()
        _ = finished.wait(timeout: .now() + 5)
    }

    /// The camera's motion is now `active`. Sent at once when it differs from the last state
    /// (or when `force`); while the broker is away, kept for the next connection.
    func report(_ active: Bool, cameraWallNs: Int64, detail: String, force: Bool = false) {
        stateLock.withLock { s in
            guard force || s.active != active else { return }
            s.active = active
            s.cameraWallNs = cameraWallNs
            s.detail = detail
            if let open = s.connection { send(&s, open) }
        }
    }

    private func send(_ s: inout State, _ open: MessageConnection) {
        let message = Message.motion(MotionReport(camera: hello.camera, active: s.active, cameraWallNs: s.cameraWallNs,
                                                  detail: String(s.detail.utf8.prefix(WireLimits.maxNameBytes)) ?? ""))
        do {
            try open.send(message)
            s.sent += 1
        } catch {
            log.warning("send to broker failed, dropping the connection", ["error": "\(error)"])
            s.connection = nil
            open.close()
        }
    }

    private func connectLoop() {
        var backoff = Backoff(initial: 0.1, maximum: 5)
        var failures = 0
        var everConnected = false
        while !stopFlag.isStopped {
            do {
                let open = try MessageConnection.connect(path: socketPath, hello: hello, expecting: [.broker], maxBodyLength: 1 << 16)
                open.socket.setSendTimeout(seconds: 5)
                let accepted = stateLock.withLock { s -> Bool in
                    guard !s.stopped else { return false }
                    s.connection = open
                    if everConnected { s.reconnects += 1 }
                    // The broker starts this camera with motion off: tell it what holds now.
                    if s.active { send(&s, open) }
                    return true
                }
                guard accepted else { open.close(); return }
                everConnected = true
                log.info("connected to broker", ["attempts": failures + 1])
                failures = 0
                backoff.reset()
                let reason = readUntilClosed(open)
                let quitting = stateLock.withLock { s -> Bool in
                    if s.connection === open { s.connection = nil }
                    return s.stopped
                }
                open.close()
                if quitting { return }
                log.warning("broker connection lost; reconnecting (the broker closed this camera's motion)", ["reason": reason])
            } catch {
                failures += 1
                if failures == 1 {
                    log.warning("broker unavailable; retrying with backoff", ["error": "\(error)"])
                } else {
                    log.debug("broker still unavailable", ["error": "\(error)", "attempt": failures])
                }
            }
            if stopFlag.wait(seconds: backoff.next()) { return }
        }
    }

    private func readUntilClosed(_ open: MessageConnection) -> String {
        do {
            while true {
                switch try open.receive() {
                case let .error(error): log.warning("broker reports an error", ["code": error.code, "text": error.text])
                default: break
                }
            }
        } catch WireError.closed {
            return "closed by broker"
        } catch {
            return "\(error)"
        }
    }
}
