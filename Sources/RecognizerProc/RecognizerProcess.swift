import FaceEngine
import Foundation
import MetricsEndpoint
import ProcessSupport
import Prometheus
import WireProtocol
import WireTransport

/// One facegate-recognizer process: the face engine, the broker session, the tap/status
/// socket, and the service duties (SIGTERM, sd_notify READY/WATCHDOG/STOPPING).
///
/// Reason for @unchecked: `session` and `control` are set once in `run()` before any thread
/// that reads them starts.
final class RecognizerProcess: @unchecked Sendable {
    let options: RecognizerOptions
    private let log: Log
    private let stopFlag = StopFlag()
    private let notifier = SystemdNotifier()
    private let hub: TapHub
    private var session: BrokerSession!
    private var control: ControlServer?
    private var metrics: MetricsServer?
    /// Histograms, recorded as frames are processed (everything else is read at a scrape).
    private let recorded = PrometheusCollectorRegistry()
    private let startedAt = MonotonicClock.nowNanoseconds()

    /// A frame taking longer than this means dlib is stuck: the watchdog pings stop and
    /// systemd restarts us. Far above any real frame (MMOD on 4K takes seconds, not minutes).
    static let stuckFrameNs: UInt64 = 120_000_000_000

    init(options: RecognizerOptions) {
        self.options = options
        log = Log(component: "recognizer").with(["name": options.name])
        hub = TapHub(log: log)
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status.
    func run() -> Int32 {
        SignalWatcher.ignoreSIGPIPE()
        stopFlag.stopOnTerminationSignals(log: log)
        let e = options.engine
        log.info("facegate-recognizer starting", [
            "broker": options.brokerSocket, "models": e.modelsDirectory, "detector": e.detector.rawValue,
            "upsample": e.upsample, "landmarks": e.landmarks.rawValue, "max_detect_width": e.maxDetectWidth ?? 0,
            "threads": e.threads, "frame_threads": e.frameThreads, "engine": FaceEngine.buildInfo, "pid": getpid(),
        ])
        let loadStart = MonotonicClock.nowNanoseconds()
        let engine: FaceEngine
        do {
            engine = try FaceEngine(options: e)
        } catch {
            log.error("cannot start the face engine", ["error": "\(error)"])
            return 1
        }
        log.info("face engine ready", ["load_ms": (MonotonicClock.nowNanoseconds() - loadStart) / 1_000_000,
                                       "shim": engine.shimVariant])
        let shapeModel = URL(fileURLWithPath: e.modelsDirectory).appendingPathComponent(FaceEngineOptions.landmarks68ModelFile).path
        if options.preloadLandmarks68 && e.landmarks == .five {
            // A missing model is not fatal: locks without liveness still work, and the frames
            // that ask for shapes are answered with an error naming the file (fail-secure).
            let start = MonotonicClock.nowNanoseconds()
            do {
                try engine.prepareLandmarks68()
                log.info("68-point landmark model loaded (a lock judges liveness)",
                         ["load_ms": (MonotonicClock.nowNanoseconds() - start) / 1_000_000, "model": shapeModel])
            } catch {
                log.warning("cannot load the 68-point landmark model: frames whose locks judge liveness will be answered with an error",
                            ["model": shapeModel, "error": "\(error)"])
            }
        } else if e.landmarks == .five && !FileManager.default.fileExists(atPath: shapeModel) {
            // Loaded on the first frame that asks for it, so only a start-up check can say
            // early that locks judging liveness would get errors instead of results.
            log.warning("68-point landmark model missing: frames whose locks judge liveness will be answered with an error",
                        ["model": shapeModel])
        }

        let engineTime = recorded.makeValueHistogram(
            descriptor: Exposition.descriptor(RecognizerMetrics.engineTimeName, help: RecognizerMetrics.engineTimeHelp),
            labels: [("recognizer", options.name)], buckets: RecognizerMetrics.engineTimeBuckets)
        session = BrokerSession(options: options, processor: DetectProcessor(engine: engine, doors: options.doors), log: log, tap: hub,
                                recordEngineTime: { engineTime.record($0) })
        if let path = options.controlSocket {
            let hello = Hello(role: .recognizer, name: options.name, pid: UInt32(getpid()))
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
                    Exposition.text(RecognizerMetrics.families(name: options.name, counters: session.snapshot, load: session.load,
                                                               brokerConnected: session.isConnected),
                                    recorded: recorded)
                }
                server.start()
                metrics = server
            } catch {
                log.error("cannot serve metrics; continuing without them", ["listen": address, "error": "\(error)"])
            }
        }
        session.start()
        notifier.ready(status: "engine loaded; serving \(options.brokerSocket)")
        if let interval = notifier.watchdogInterval {
            Thread.detachNewThread { [self] in watchdogLoop(interval: interval) }
        }

        stopFlag.waitForever()

        notifier.stopping()
        session.stop()
        control?.stop()
        metrics?.stop()
        let c = session.snapshot
        log.info("facegate-recognizer stopped", ["detects": c.detectsReceived, "results": c.resultsSent,
                                                  "errors": c.errorsSent, "faces": c.facesFound])
        return 0
    }

    /// Pings systemd unless a worker has been inside one frame for far too long.
    private func watchdogLoop(interval: Double) {
        while !stopFlag.wait(seconds: interval) {
            if let busy = session.longestBusyNs, busy > Self.stuckFrameNs {
                log.error("a worker is stuck in one frame; withholding the systemd watchdog ping",
                          ["busy_s": busy / 1_000_000_000])
            } else {
                notifier.watchdog()
            }
        }
    }

    private func statusJSON() -> String {
        let c = session.snapshot
        var counters: [String: Any] = [:]
        for counter in BrokerSession.wireCounters(c) { counters[counter.name] = counter.value }
        let e = options.engine
        let status: [String: Any] = [
            "process": "facegate-recognizer",
            "name": options.name,
            "pid": Int(getpid()),
            "broker_connected": session.isConnected,
            "uptime_s": Double(MonotonicClock.nowNanoseconds() - startedAt) / 1e9,
            "engine": ["detector": e.detector.rawValue, "upsample": e.upsample, "landmarks": e.landmarks.rawValue,
                       "max_detect_width": e.maxDetectWidth ?? 0, "threads": e.threads, "frame_threads": e.frameThreads, "build": FaceEngine.buildInfo],
            "counters": counters,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
