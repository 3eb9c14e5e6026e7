import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// This process's connection to the broker's motion socket: a `BrokerClient` (hello as role
/// motion for one camera, reconnect forever, heartbeats) that carries the camera's motion when
/// it changes.
///
/// The broker closes the camera's motion session whenever this link goes and starts a new
/// link with motion off; so on each connect the current state is sent again when it is on,
/// and motion that the live subscription still says is on is on again from then.
final class MotionLink: Sendable {
    /// What was last reported, kept across connections. Its own object so the client's
    /// handlers can hold it without holding the link.
    private final class Reported: Sendable {
        struct State {
            var active = false
            var cameraWallNs: Int64 = 0
            var detail = ""
            var sent: UInt64 = 0
        }

        let camera: String
        /// Held across a send, so reports (and the re-send after a connect) reach the broker
        /// in the order they were made.
        let state = Locked(State())

        init(camera: String) { self.camera = camera }

        /// Sends the state through `deliver` (false: not sent, the connection is being dropped).
        func send(_ s: inout State, _ deliver: (Message) -> Bool) {
            let detail = String(s.detail.utf8.prefix(WireLimits.maxNameBytes)) ?? ""
            if deliver(.motion(MotionReport(camera: camera, active: s.active, cameraWallNs: s.cameraWallNs, detail: detail))) {
                s.sent += 1
            }
        }
    }

    private let reported: Reported
    private let client: BrokerClient

    init(socketPath: String, hello: Hello, log: Log) {
        let reported = Reported(camera: hello.camera)
        self.reported = reported
        let options = BrokerClient.Options(socketPath: socketPath, hello: hello, maxBodyLength: 64 << 10,
                                           whileAway: "the broker keeps this camera's motion closed")
        client = BrokerClient(options: options, log: log, tap: nil, handlers: BrokerClient.Handlers(
            connected: { [reported] open in
                reported.state.withLock { s in
                    guard s.active else { return }
                    // Not through the client, which is not built yet when this closure is: a
                    // failed write closes `open`, and the client's reader then reconnects.
                    reported.send(&s) { message in
                        do { try open.send(message); return true } catch { open.close(); return false }
                    }
                }
            },
            received: { [log] message, _ in log.debug("ignoring message from broker", ["kind": message.kind]) },
            heartbeat: { [reported] in
                Heartbeat(monotonicNs: MonotonicClock.nowNanoseconds(),
                          counters: [Counter("motion_reports", reported.state.withLock { $0.sent })])
            }))
    }

    var isConnected: Bool { client.isConnected }
    /// The motion state last reported (sent, or waiting for the broker).
    var motionState: Bool { reported.state.withLock { $0.active } }
    var counters: (sent: UInt64, reconnects: UInt64) { (reported.state.withLock { $0.sent }, client.reconnects) }

    func start() { client.start() }

    func stop() { client.stop(timeout: 5) }

    /// The camera's motion is now `active`. Sent at once when it differs from the last state;
    /// while the broker is away, kept for the next connection.
    func report(_ active: Bool, cameraWallNs: Int64, detail: String) {
        reported.state.withLock { s in
            guard s.active != active else { return }
            s.active = active
            s.cameraWallNs = cameraWallNs
            s.detail = detail
            if let open = client.connection { reported.send(&s) { client.send($0, on: open) } }
        }
    }
}
