import CameraCapture
import Foundation
import MetricsEndpoint
import ProcessSupport
import WireProtocol
import WireTransport

/// One facegate-capture process: a capture session for the camera, the link to the broker, the
/// tap/status socket, and the service duties (SIGTERM, sd_notify READY/WATCHDOG/STOPPING).
///
/// Reason for @unchecked: `session`, `link` and `control` are set once in `run()` before any
/// thread that reads them starts.
final class CaptureProcess: @unchecked Sendable {
    let options: CaptureOptions
    private let log: Log
    private let stopFlag = StopFlag()
    private let notifier = SystemdNotifier()
    private let hub: TapHub
    private var session: CaptureSession!
    private var link: BrokerLink!
    private var control: ControlServer?
    private var metrics: MetricsServer?
    private let startedAt = MonotonicClock.nowNanoseconds()

    init(options: CaptureOptions) {
        self.options = options
        log = Log(component: "capture").with(["camera": options.cameraId])
        hub = TapHub(log: log)
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status.
    func run() -> Int32 {
        SignalWatcher.ignoreSIGPIPE()
        stopFlag.stopOnTerminationSignals(log: log)
        let hello = Hello(role: .capture, name: "facegate-capture", pid: UInt32(getpid()), camera: options.cameraId)
        let cameraId = options.cameraId
        link = BrokerLink(socketPath: options.brokerSocket, hello: hello, maxBodyLength: options.maxFrameBytes, log: log,
                          tap: hub, heartbeatCounters: { [unowned self] in heartbeatCounters() })
        session = CaptureSession(cameraId: cameraId, source: options.source, settings: options.settings, log: Log(component: "capture"),
                                 onFrame: { [link] frame in link!.offer(CaptureProcess.videoFrame(frame, camera: cameraId)) })

        if let path = options.controlSocket {
            let server = ControlServer(path: path, localHello: hello, log: log, hub: hub) { [unowned self] in statusJSON() }
            do {
                try server.start()
                control = server
            } catch {
                log.error("cannot serve the control socket; continuing without tap/status", ["socket": path, "error": "\(error)"])
            }
        }
        if let address = options.metricsListen {
            do {
                let server = try MetricsServer(host: address.host, port: address.port, log: log) { [unowned self] in
                    Exposition.text(CaptureMetrics.families(camera: cameraId, counters: Dictionary(counterValues(), uniquingKeysWith: { a, _ in a }),
                                                            brokerConnected: link.isConnected))
                }
                server.start()
                metrics = server
            } catch {
                log.error("cannot serve metrics; continuing without them", ["listen": address, "error": "\(error)"])
            }
        }
        log.info("facegate-capture starting", ["source": options.source.logDescription, "broker": options.brokerSocket,
                                                "control": options.controlSocket ?? "none", "pid": getpid()])
        link.start()
        session.start()
        notifier.ready(status: "capturing \(cameraId)")

        if let interval = notifier.watchdogInterval {
            Thread.detachNewThread { [self] in watchdogLoop(interval: interval) }
        }
        stopFlag.waitForever()

        notifier.stopping()
        session.stop()
        link.stop()
        control?.stop()
        metrics?.stop()
        let counters = session.counters
        let linkCounters = link.snapshot
        log.info("facegate-capture stopped", ["captured": counters.captured, "sent": linkCounters.sent,
                                               "dropped": counters.dropped + linkCounters.dropped])
        return 0
    }

    /// Pings systemd only while the capture thread keeps going round its loop: a pipeline stuck
    /// inside GStreamer stops the pings and systemd restarts us.
    private func watchdogLoop(interval: Double) {
        let staleAfterNs: UInt64 = 30_000_000_000
        while !stopFlag.wait(seconds: interval) {
            let last = session.lastActivityMonotonicNs
            if last != 0 && MonotonicClock.nowNanoseconds() &- last < staleAfterNs {
                notifier.watchdog()
            } else if last != 0 {
                log.error("capture thread made no progress; withholding the systemd watchdog ping")
            }
        }
    }

    static func videoFrame(_ frame: CapturedFrame, camera: String) -> VideoFrame {
        VideoFrame(camera: camera, sequence: frame.seq, captureMonotonicNs: frame.captureMonotonicNs,
                   captureWallNs: frame.captureWallNs, format: frame.pixelFormat,
                   width: UInt32(frame.width), height: UInt32(frame.height), stride: UInt32(frame.stride),
                   pixels: PixelData(frame.pixels))
    }

    /// Counter names shared by heartbeats and the status JSON.
    func counterValues() -> [(String, UInt64)] {
        let capture = session.counters
        let sent = link.snapshot
        var values: [(String, UInt64)] = [
            ("frames_captured", capture.captured),
            ("frames_sent", sent.sent),
            ("frames_dropped", capture.dropped + sent.dropped),
            ("frames_decoded", capture.decoded),
            ("dropped_rate_cap", capture.droppedByRateCap),
            ("dropped_behind", capture.droppedBehind),
            ("dropped_broker_away", sent.droppedBrokerAway),
            ("dropped_replaced", sent.droppedReplaced),
            ("dropped_send_failed", sent.droppedSendFailed),
            ("dropped_too_large", sent.droppedTooLarge),
            ("frames_untimed", capture.untimed),
            ("camera_restarts", capture.restarts),
            ("broker_reconnects", sent.reconnects),
            ("send_age_max_us", sent.sendAgeMaxWindowNs / 1000),
        ]
        if let last = capture.lastCaptureMonotonicNs {
            values.append(("last_frame_age_ms", (MonotonicClock.nowNanoseconds() &- last) / 1_000_000))
        }
        return values
    }

    private func heartbeatCounters() -> [Counter] {
        counterValues().map { Counter($0.0, $0.1) }
    }

    private func statusJSON() -> String {
        var counters: [String: Any] = [:]
        for (name, value) in counterValues() { counters[name] = value }
        counters["send_age_max_us_ever"] = link.snapshot.sendAgeMaxNs / 1000
        let status: [String: Any] = [
            "process": "facegate-capture",
            "camera": options.cameraId,
            "pid": Int(getpid()),
            "source": options.source.logDescription,
            "camera_state": session.state.rawValue,
            "broker_connected": link.isConnected,
            "uptime_s": Double(MonotonicClock.nowNanoseconds() - startedAt) / 1e9,
            "counters": counters,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
