import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport

/// The broker's capture socket, played by the test: a real WireProtocol server that records the
/// hello, frames and heartbeats each capture process sends. `frameDelay` makes it a slow reader.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class TestBroker: @unchecked Sendable {
    struct ReceivedFrame {
        let sequence: UInt64
        let captureMonotonicNs: UInt64
        let receivedMonotonicNs: UInt64
        let format: PixelFormat
        let width: UInt32
        let height: UInt32
        let pixelCount: Int
        /// When the message was complete in our buffer minus its capture time.
        var ageNs: Int64 { Int64(bitPattern: receivedMonotonicNs) - Int64(bitPattern: captureMonotonicNs) }
    }

    let path: String
    private let server: MessageServer
    private let store = Store()

    /// Reason for @unchecked: its mutable state is guarded by its NSLock.
    private final class Store: @unchecked Sendable {
        let lock = NSLock()
        var hellos: [Hello] = []
        var frames: [ReceivedFrame] = []
        var heartbeats: [Heartbeat] = []

        func record(_ hello: Hello) { lock.lock(); hellos.append(hello); lock.unlock() }

        func record(_ message: Message) {
            let now = MonotonicClock.nowNanoseconds()
            lock.lock(); defer { lock.unlock() }
            switch message {
            case let .frame(frame):
                frames.append(ReceivedFrame(sequence: frame.sequence, captureMonotonicNs: frame.captureMonotonicNs,
                                            receivedMonotonicNs: now, format: frame.format, width: frame.width,
                                            height: frame.height, pixelCount: frame.pixels.count))
            case let .heartbeat(heartbeat):
                heartbeats.append(heartbeat)
            default:
                break
            }
        }
    }

    init(path: String, frameDelay: Double = 0) throws {
        self.path = path
        let options = MessageServer.Options(path: path, localHello: Hello(role: .broker, name: "test-broker", pid: UInt32(getpid())),
                                            acceptedRoles: [.capture])
        let store = store
        server = MessageServer(options: options, log: Log(component: "test-broker")) { connection in
            if let hello = connection.peerHello { store.record(hello) }
            while true {
                let message = try connection.receive()
                store.record(message)
                if case .frame = message, frameDelay > 0 { Thread.sleep(forTimeInterval: frameDelay) }
            }
        }
        try server.start()
    }

    deinit { server.stop() }

    func stop() { server.stop() }

    var hellos: [Hello] { store.lock.lock(); defer { store.lock.unlock() }; return store.hellos }
    var frames: [ReceivedFrame] { store.lock.lock(); defer { store.lock.unlock() }; return store.frames }
    var heartbeats: [Heartbeat] { store.lock.lock(); defer { store.lock.unlock() }; return store.heartbeats }

    /// A counter from the newest heartbeat that has it.
    func counter(_ name: String) -> UInt64? {
        heartbeats.reversed().lazy.compactMap { $0.counters.first { $0.name == name }?.value }.first
    }
}

/// `$NOTIFY_SOCKET` played by the test: collects the sd_notify datagrams a process sends.
