import BrokerCore
import FacegateConfig
import Foundation
import GalleryStore
import HomeAssistantDiscovery
import MetricsEndpoint
import MQTTClient
import ProcessSupport
import Prometheus
import Vocabulary
import WireProtocol
import WireTransport

/// facegate-broker: the only process with state and the only one that decides.
///
/// Threads: one per socket peer (captures, recognizers, tap/admin clients), libmosquitto's
/// network thread, a housekeeping thread, and the audit writer's serial queue. All decision state lives in one
/// `DecisionEngine` value behind `engineLock`; every event takes the lock, reads
/// CLOCK_MONOTONIC, and feeds the engine. I/O that follows a decision (MQTT publish, audit
/// row, sending a detect) happens after the lock is released.
///
/// An unlock is written ahead: the frame's audit rows, with each command `pending`, are
/// committed before any command is published. Every audit write goes through `audit`, one
/// bounded FIFO with its own writer, so neither a socket reader nor MQTT's network thread waits
/// for the disk: the frame's rows are committed there, then its commands published from there,
/// and the publish outcome (and later the lock's own state report) is queued behind its row.
/// The engine learns the outcome too: only a delivered command marks the session unlocked.
/// At SIGTERM the queue is drained before exit (`shutDown`).
///
/// Reason for @unchecked: the engine, gallery, confirmations, Frigate events and ONVIF links are
/// guarded by `engineLock`,
/// the counters (and metric tallies) by `statsLock`; the servers, the MQTT connection, the
/// metrics server and the Home Assistant link are set once in `run()`, before any thread that
/// reads them starts.
final class BrokerService: @unchecked Sendable {
    let config: FacegateConfiguration
    let log: Log
    private let store: GalleryStore
    private let tap: TapHub
    private let pool: RecognizerPool
    private var engine: DecisionEngine
    private let engineLock = NSLock()
    /// Writes each lock session's open and close for facegate-web's timelines, in order, off
    /// the MQTT thread (a slow disk must not delay the next touch).
    private let sessionLog = DispatchQueue(label: "facegate.broker.lock-sessions")
    private var gallery = Gallery.empty
    private var galleryToken: GalleryChangeToken?
    private let locksByID: [String: LockSettings]
    private let locksByTopic: [String: LockSettings]
    private let camerasByMotionTopic: [String: CameraSettings]
    /// Frigate's events topic → Frigate camera name → our camera.
    private let camerasByFrigate: [String: [String: CameraSettings]]
    /// Open Frigate events per camera (under `engineLock`: each change and the motion it
    /// causes are one step, or an expiry could close motion a newer event had just opened).
    private var frigateEvents: [String: ObjectEventSet] = [:]
    /// Cameras whose facegate-onvif is connected, and whether it last said motion on (under
    /// `engineLock`, with the timelines those reports feed).
    private var onvifLinks: [String: Bool] = [:]
    private var motionServer: MessageServer!
    private var mqtt: MQTTConnection!
    /// Home Assistant's discovery, when `[home_assistant] enabled`; set once in `run()`.
    private var homeAssistant: HomeAssistantLink?
    private var captureServer: MessageServer!
    private var recognizerServer: MessageServer!
    private var control: ControlServer!
    private let stopFlag = StopFlag()
    private let notifier = SystemdNotifier()
    private let statsLock = NSLock()
    private var cameraStats: [String: CameraStats] = [:]
    private var metricTallies = BrokerMetrics.Tallies()
    /// Histograms, recorded as things happen (everything else is read from the status at a scrape).
    private let recorded = PrometheusCollectorRegistry()
    /// Capture → decision, per frame that decided something.
    private let decisionLatency: ValueHistogram
    private var metricsServer: MetricsServer?
    private var confirmations = LockConfirmations<DeliveryKey>()
    private let plausibility = ResultPlausibility()
    private let audit: AuditWriter
    /// Entered by each recognizer connection while it is served: at SIGTERM, once it is empty
    /// no decision can still be on its way to the audit queue.
    private let deciding = DispatchGroup()

    /// One command of one audit row.
    struct DeliveryKey: Hashable, Sendable {
        var auditID: Int64
        var lock: LockID
    }

    struct CameraStats {
        var connected = 0
        var framesReceived: UInt64 = 0
        var framesAdmitted: UInt64 = 0
        var framesSkipped: UInt64 = 0
        var lastHeartbeat: [String: UInt64] = [:]
    }

    init(config: FacegateConfiguration, log: Log) throws {
        self.config = config
        self.log = log
        let bootPrefix = BootPrefix(UInt32.random(in: 1...UInt32.max))
        engine = try DecisionEngine(configuration: EngineConfiguration(config), bootPrefix: bootPrefix)
        store = try GalleryStore(path: config.runtime.database)
        audit = AuditWriter(store: store, capacity: config.runtime.auditQueueCapacity, log: log)
        tap = TapHub(log: log)
        pool = RecognizerPool(log: log, tap: tap)
        locksByID = Dictionary(config.locks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        locksByTopic = Dictionary(config.locks.map { (config.mqtt.stateTopic(for: $0), $0) }, uniquingKeysWith: { a, _ in a })
        camerasByMotionTopic = Dictionary(config.cameras.compactMap { c in c.motionTopic.map { ($0, c) } },
                                          uniquingKeysWith: { a, _ in a })
        var byFrigate: [String: [String: CameraSettings]] = [:]
        for camera in config.cameras {
            guard let frigate = camera.frigate else { continue }
            byFrigate[frigate.topic, default: [:]][frigate.camera] = camera
            frigateEvents[camera.id] = ObjectEventSet(staleAfter: .seconds(camera.motionMax))
        }
        camerasByFrigate = byFrigate
        decisionLatency = recorded.makeValueHistogram(descriptor: Exposition.descriptor(BrokerMetrics.latencyName, help: BrokerMetrics.latencyHelp),
                                                      buckets: Exposition.secondsBuckets)
        log.info("broker starting", ["run": bootPrefix, "locks": config.locks.count, "cameras": config.cameras.count])
    }

    // MARK: Lifecycle

    /// Serves until SIGTERM/SIGINT. Returns false when the stop could not write every queued
    /// audit row in time.
    func run() throws -> Bool {
        try reloadGalleryIfChanged()
        let interrupted = try store.closeInterruptedDeliveries(wallNs: WallClock.nowNanoseconds())
        if interrupted > 0 {
            log.warning("commands of a previous run have no known outcome; audited as unknown", ["count": interrupted])
        }
        let dir = config.runtime.socketsDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        let hello = Hello(role: .broker, name: "facegate-broker", pid: UInt32(getpid()))
        let admission = PeerAdmission(config.roles)

        var captureOptions = MessageServer.Options(path: "\(dir)/capture.sock", localHello: hello, acceptedRoles: [.capture])
        captureOptions.maxBodyLength = config.runtime.maxFrameBytes
        captureOptions.applySocketLimits(config.runtime)
        captureOptions.admission = admission
        captureServer = MessageServer(options: captureOptions, log: log) { [unowned self] in try serveCapture($0) }

        var recognizerOptions = MessageServer.Options(path: "\(dir)/recognizer.sock", localHello: hello, acceptedRoles: [.recognizer])
        // Results are small (a face is ~0.6 kB and its JPEG chip ~5 kB, 64 faces at most, noisy
        // chips larger); frames never flow this way.
        recognizerOptions.maxBodyLength = 4 << 20
        recognizerOptions.applySocketLimits(config.runtime)
        recognizerOptions.admission = admission
        recognizerServer = MessageServer(options: recognizerOptions, log: log) { [unowned self] in try serveRecognizer($0) }

        // facegate-onvif: one per camera, motion reports only, so small messages.
        var motionOptions = MessageServer.Options(path: "\(dir)/motion.sock", localHello: hello, acceptedRoles: [.motion])
        motionOptions.maxBodyLength = 64 << 10
        motionOptions.applySocketLimits(config.runtime)
        motionOptions.admission = admission
        motionServer = MessageServer(options: motionOptions, log: log) { [unowned self] in try serveMotion($0) }

        control = ControlServer(path: "\(dir)/broker.ctl", localHello: hello, log: log, hub: tap,
                                admission: admission) { [unowned self] in statusJSON() }

        mqtt = try MQTTConnection(options: mqttOptions(), log: log.with(["component": "mqtt"])) { [unowned self] event in
            handle(event)
        }
        if config.homeAssistant.enabled {
            let link = HomeAssistantLink(discovery: HomeAssistantDiscovery(configuration: config, softwareVersion: FacegateVersion.current),
                                         log: log.with(["component": "home_assistant"])) { [mqtt] message, qos in
                mqtt!.publish(topic: message.topic, text: message.payload, qos: qos, retain: message.retain)
            }
            homeAssistant = link
            mqtt.subscribe(link.statusTopic)
        }
        for lock in config.locks { mqtt.subscribe(config.mqtt.stateTopic(for: lock)) }
        for camera in config.cameras { if let topic = camera.motionTopic { mqtt.subscribe(topic) } }
        for topic in camerasByFrigate.keys.sorted() { mqtt.subscribe(topic) }

        try captureServer.start()
        try recognizerServer.start()
        try motionServer.start()
        try control.start()
        startMetrics()
        mqtt.start()

        stopFlag.stopOnTerminationSignals(log: log)
        notifier.ready(status: "serving \(config.cameras.count) cameras, \(config.locks.count) locks")
        log.info("broker ready", ["sockets": dir])
        housekeepingLoop()
        return shutDown()
    }

    /// No new frames or results; every decision already made written, its commands handed to
    /// MQTT and their outcomes recorded, within `audit_drain_timeout`; then MQTT stops (up to
    /// 5 s) and the outcomes it reports are written too.
    private func shutDown() -> Bool {
        notifier.stopping()
        let deadline = MonotonicClock.nowNanoseconds() + UInt64(config.runtime.auditDrainTimeout * 1e9)
        func remaining() -> Double { Double(Int64(bitPattern: deadline &- MonotonicClock.nowNanoseconds())) / 1e9 }
        captureServer.stop()
        recognizerServer.stop()
        motionServer.stop()
        let queued = audit.depth
        if queued > 0 {
            notifier.status("stopping: writing the audit rows of \(queued) frames")
            log.info("draining the audit queue", ["frames": queued, "timeout_s": config.runtime.auditDrainTimeout])
        }
        // A reader may be between its decision and the queue, or waiting for room in it: the
        // queue holds every decision only once each recognizer connection has ended.
        if deciding.wait(timeout: .now() + max(0, remaining())) == .timedOut {
            log.warning("recognizer connections did not end before audit_drain_timeout")
        }
        var backlog = audit.drain(timeout: remaining())
        // Commands just published get the same deadline for their PUBACK, so their rows say
        // `published` rather than "stopping before PUBACK".
        while backlog.isEmpty, mqtt.commandsInFlight > 0, remaining() > 0 { Thread.sleep(forTimeInterval: 0.01) }
        control.stop()
        homeAssistant?.stopping()
        metricsServer?.stop()
        mqtt.stop(timeout: 5)
        // Outcomes reported by the stop (commands abandoned) are on the queue: write them.
        backlog = audit.drain(timeout: max(1, remaining()))
        audit.close()
        engineLock.lock(); let decisions = engine.counters.decisions.values.reduce(0, +); engineLock.unlock()
        guard backlog.isEmpty else {
            // None of these frames' commands was published: a command follows its row. Outcomes
            // not written leave their rows `pending`, audited `unknown` at the next start.
            log.error("audit queue not drained before exit; these frames' rows are lost, their commands never sent", [
                "frames": backlog.frames.count, "txns": backlog.frames.joined(separator: ","),
                "frames_waiting_for_room": backlog.waitingForRoom, "updates": backlog.updates,
                "decisions": decisions, "audit_failures": audit.failures,
            ])
            return false
        }
        log.info("broker stopped", ["decisions": decisions, "audit_failures": audit.failures])
        return true
    }

    private func housekeepingLoop() {
        var lastWatchdog = 0.0
        let watchdogEvery = notifier.watchdogInterval ?? 0
        var cropPrunes = CropPruneSchedule(settings: config.crops)
        while !stopFlag.wait(seconds: 0.25) {
            let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
            if cropPrunes.due(now: now) { pruneCrops(cropPrunes) }
            engineLock.lock()
            let released = engine.housekeeping(now: now)
            let lapsed = engine.policyDeadlines(now: now)
            let maxAge = engine.configuration.maxDecisionAge
            var staleFrigate: [String] = []
            for camera in frigateEvents.keys.sorted() where frigateEvents[camera]!.expire(now: now) == .deactivate {
                engine.motion(camera: CameraID(camera), active: false, at: now)
                staleFrigate.append(camera)
            }
            engineLock.unlock()
            for camera in staleFrigate {
                log.warning("frigate events went stale without an end; motion closed", ["camera": camera, "source": "frigate"])
            }
            for lock in released { log.warning("trigger flood over: lock sessions may open again", ["lock": lock]) }
            auditLapsedPolicies(lapsed)
            // Frames that waited too long for a recognizer could only be judged stale: drop them.
            let stale = pool.dropWaiting { now.since(MonotonicInstant(nanoseconds: $0.frame.captureMonotonicNs)) > maxAge }
            if !stale.isEmpty {
                engineLock.lock(); stale.forEach { _ = engine.discardTxn(DetectingTxn($0)) }; engineLock.unlock()
                log.info("dropped frames no recognizer took in time", ["count": stale.count])
            }
            do { try reloadGalleryIfChanged() } catch { log.error("gallery reload failed", ["error": "\(error)"]) }
            engineLock.lock()
            let unconfirmed = confirmations.expire(now: now)
            engineLock.unlock()
            for key in unconfirmed { recordConfirmation(key, .unconfirmed) }
            // Sessions also close by themselves (occupancy_max) and cameras come and go: what
            // Home Assistant shows follows within one round.
            refreshHomeAssistant(now: now)
            if watchdogEvery > 0 {
                let t = Double(now.nanoseconds) / 1e9
                if t - lastWatchdog >= watchdogEvery { notifier.watchdog(); lastWatchdog = t }
            }
        }
    }

    /// On the audit writer's queue: between two frames' rows, never beside them, and the
    /// housekeeping round does not wait for the disk.
    private func pruneCrops(_ schedule: CropPruneSchedule) {
        audit.perform({ [log] store in
            let result = try schedule.prune(store, nowWallNs: WallClock.nowNanoseconds())
            if result.deleted > 0 {
                log.info("face crops pruned", ["deleted": result.deleted, "bytes_freed": result.bytesFreed,
                                               "max_age_days": schedule.settings.maxAgeDays,
                                               "max_total_mb": schedule.settings.maxTotalMB])
            }
        }, failed: { [log] error in
            log.error("face crop prune failed", ["error": "\(error)"])
        })
    }

    private func mqttOptions() throws -> MQTTOptions {
        let m = config.mqtt
        var password = m.password
        if let file = m.passwordFile {
            password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Clean session: a persistent session would replay what happened while we were away,
        // and stale occupancy must never open a session.
        // Home Assistant learns that the broker is gone from its will (a clean stop says so itself).
        let will = config.homeAssistant.enabled
            ? HomeAssistantDiscovery(configuration: config, softwareVersion: FacegateVersion.current).will : nil
        return MQTTOptions(host: m.host, port: m.port, clientID: m.clientID, username: m.username, password: password,
                           tlsCAFile: m.tlsCAFile, tlsCertFile: m.tlsCertFile, tlsKeyFile: m.tlsKeyFile,
                           tlsInsecure: m.tlsInsecure, keepalive: m.keepalive, cleanSession: true,
                           reconnectDelayMin: m.reconnectDelayMin, reconnectDelayMax: m.reconnectDelayMax,
                           maxPayloadBytes: m.maxPayloadBytes,
                           will: will.map { MQTTWill(topic: $0.topic, payload: $0.payload, qos: 1, retain: $0.retain) })
    }

    /// Hands Home Assistant the locks with an open occupancy session and the cameras with a
    /// capture connected; it publishes what changed.
    private func refreshHomeAssistant(now: MonotonicInstant) {
        guard let homeAssistant else { return }
        engineLock.lock()
        let open = engine.openTriggers(now: now)
        engineLock.unlock()
        homeAssistant.sessions(open: Set(open.compactMap { if case let .lock(lock) = $0.source { lock.rawValue } else { nil } }))
        statsLock.lock()
        let online = Set(cameraStats.filter { $0.value.connected > 0 }.keys)
        statsLock.unlock()
        homeAssistant.cameras(online: online)
    }

    // MARK: MQTT

    private func handle(_ event: MQTTEvent) {
        let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
        switch event {
        case .connected:
            statsLock.lock(); metricTallies.mqttConnects += 1; statsLock.unlock()
            log.info("mqtt connected", ["host": config.mqtt.host, "port": config.mqtt.port])
            homeAssistant?.connected()
        case .subscribed:
            log.info("mqtt subscriptions active")
        case let .connectFailed(reason):
            log.warning("mqtt connect failed", ["reason": reason])
        case let .disconnected(reason):
            // Offs may be missed while we are away: forget every open session now. Frames already
            // admitted keep the snapshots they were given.
            engineLock.lock()
            let closed = engine.closeAllTriggers(at: now)
            for camera in frigateEvents.keys { frigateEvents[camera]!.reset() }
            // ONVIF motion does not travel over MQTT: what a connected facegate-onvif last
            // reported still holds, as a fresh session from now.
            let onvifOn = onvifLinks.filter(\.value).keys.sorted()
            for camera in onvifOn { engine.motion(camera: CameraID(camera), active: true, at: now) }
            engineLock.unlock()
            log.warning("mqtt disconnected; trigger state cleared", ["reason": reason, "closed_sessions": closed.count,
                                                                     "onvif_motion_kept": onvifOn.joined(separator: ",")])
        case let .message(message):
            handle(message, at: now)
        }
    }

    private func handle(_ message: MQTTMessage, at now: MonotonicInstant) {
        if let lock = locksByTopic[message.topic] {
            let report: LockReport
            do {
                report = try LockReport.parse(message.payload, confirmKey: lock.confirmKey)
            } catch {
                log.warning("ignoring lock message: \(error)", ["lock": lock.id, "topic": message.topic,
                                                                 "bytes": message.payload.count])
                return
            }
            // A retained state is old news: it confirms nothing sent now.
            if report.confirmation == lock.confirmValue && !message.retain {
                engineLock.lock()
                let confirmed = confirmations.unlockedReported(lock: LockID(lock.id), at: now)
                engineLock.unlock()
                for key in confirmed {
                    log.info("lock confirmed unlock", ["lock": lock.id, "audit_id": key.auditID])
                    recordConfirmation(key, .confirmed)
                }
            }
            guard let occupied = report.occupancy else { return }
            engineLock.lock()
            let change = engine.occupancy(lock: LockID(lock.id), occupied: occupied, at: now, retained: message.retain)
            let quietened = change == .ignoredNotOpen && engine.isSuspended(LockID(lock.id), now: now)
            engineLock.unlock()
            if quietened { return }
            if case let .suspended(closed, started) = change {
                // A flood is one line and one audit row per burst, not one per message.
                if started { triggerSuspended(lock, closed: closed) }
                return
            }
            log.info("occupancy \(occupied)", ["lock": lock.id, "retained": message.retain, "change": "\(change)"])
            recordSession(lock: lock.id, change)
            refreshHomeAssistant(now: now)
        } else if let camera = camerasByMotionTopic[message.topic] {
            guard let active = camera.motionState(payload: message.payload) else {
                log.warning("ignoring motion message: payload means neither on nor off", ["camera": camera.id,
                                                                                           "topic": message.topic])
                return
            }
            engineLock.lock()
            let change = engine.motion(camera: CameraID(camera.id), active: active, at: now, retained: message.retain)
            engineLock.unlock()
            log.info("motion \(active)", ["camera": camera.id, "source": "mqtt", "retained": message.retain, "change": "\(change)"])
        } else if let cameras = camerasByFrigate[message.topic] {
            handleFrigate(message, cameras: cameras, at: now)
        } else if let homeAssistant, message.topic == homeAssistant.statusTopic {
            homeAssistant.status(message)
        } else {
            log.warning("ignoring message on unknown topic", ["topic": message.topic])
        }
    }

    // MARK: Frigate

    private func handleFrigate(_ message: MQTTMessage, cameras: [String: CameraSettings], at now: MonotonicInstant) {
        let event: FrigateEvent
        do {
            event = try FrigateEvent.parse(message.payload)
        } catch {
            log.warning("ignoring frigate message: \(error)", ["topic": message.topic, "bytes": message.payload.count])
            return
        }
        // Other cameras of the same Frigate, and retained leftovers, are not ours to act on.
        guard let camera = cameras[event.camera], let trigger = camera.frigate, !message.retain else { return }
        let counts = event.counts(for: trigger)
        engineLock.lock()
        let effect = frigateEvents[camera.id]!.update(id: event.id, counts: counts, at: now)
        let open = frigateEvents[camera.id]!.open.count
        let change: TriggerChange? = switch effect {
        case .activate: engine.motion(camera: CameraID(camera.id), active: true, at: now)
        case .deactivate: engine.motion(camera: CameraID(camera.id), active: false, at: now)
        case .none: nil
        }
        engineLock.unlock()
        let fields: KeyValuePairs<String, CustomStringConvertible> = [
            "camera": camera.id, "source": "frigate", "event": event.id, "type": event.kind.rawValue, "label": event.label,
            "zones": event.currentZones.joined(separator: ","), "counts": counts, "open_events": open,
            "change": change.map { "\($0)" } ?? "none",
        ]
        switch effect {
        case .activate: log.info("motion true", fields)
        case .deactivate: log.info("motion false", fields)
        case .none: log.debug("frigate event changes no motion", fields)
        }
    }

    // MARK: ONVIF motion (facegate-onvif)

    private func serveMotion(_ connection: MessageConnection) throws {
        guard let id = connection.peerHello?.camera, let camera = config.camera(id: id) else {
            throw WireError.peerRejected(reason: "camera '\(connection.peerHello?.camera ?? "")' is not configured")
        }
        guard camera.onvif != nil else {
            throw WireError.peerRejected(reason: "camera '\(id)' has no onvif trigger (its motion source: \(camera.motionSource ?? "none"))")
        }
        engineLock.lock()
        let taken = onvifLinks[id] != nil
        if !taken { onvifLinks[id] = false }
        engineLock.unlock()
        guard !taken else { throw WireError.peerRejected(reason: "camera '\(id)' already has a facegate-onvif connected") }
        defer {
            // Offs may be missed while the link is away: fail-secure.
            let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
            engineLock.lock()
            onvifLinks[id] = nil
            let change = engine.motion(camera: CameraID(id), active: false, at: now)
            engineLock.unlock()
            if case .closed = change {
                log.warning("onvif link lost; motion session closed", ["camera": id, "source": "onvif", "change": "\(change)"])
            }
        }
        while true {
            let message = try connection.receive()
            tap.publish(.received, peer: connection.peerLabel, message)
            switch message {
            case let .motion(report):
                guard report.camera == id else {
                    throw WireError.invalidField(field: "motion.camera", reason: "'\(report.camera)' on the connection of '\(id)'")
                }
                let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
                engineLock.lock()
                onvifLinks[id] = report.active
                let change = engine.motion(camera: CameraID(id), active: report.active, at: now)
                engineLock.unlock()
                log.info("motion \(report.active)", ["camera": id, "source": "onvif", "detail": report.detail,
                                                     "camera_time": report.cameraWallNs == 0 ? "-" : wallText(report.cameraWallNs),
                                                     "change": "\(change)"])
            case .heartbeat:
                break
            default:
                throw WireError.invalidField(field: "kind", reason: "a motion peer may send motion or heartbeat, not \(message.kind)")
            }
        }
    }

    /// Keeps the session's interval for the console; losing one only blanks a timeline bar.
    private func recordSession(lock: String, _ change: TriggerChange) {
        let wallNs = WallClock.nowNanoseconds()
        let (store, log) = (store, log)
        let opened: Bool, id: String
        switch change {
        case let .opened(session, _): (opened, id) = (true, "\(session)")
        case let .closed(session): (opened, id) = (false, "\(session)")
        default: return
        }
        sessionLog.async {
            do {
                if opened {
                    try store.recordLockSessionOpened(lock: lock, session: id, wallNs: wallNs)
                } else {
                    try store.recordLockSessionClosed(lock: lock, session: id, wallNs: wallNs)
                }
            } catch {
                log.warning("cannot record the lock session's \(opened ? "start" : "end"): \(error)", ["lock": lock, "session": id])
            }
        }
    }

    /// A camera's own clock reading as UTC text, for the log only.
    private func wallText(_ ns: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ns) / 1e9)
        return ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!,
                                           formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }

    // MARK: Captures

    private func serveCapture(_ connection: MessageConnection) throws {
        guard let camera = connection.peerHello?.camera, config.camera(id: camera) != nil else {
            throw WireError.peerRejected(reason: "camera '\(connection.peerHello?.camera ?? "")' is not configured")
        }
        let clog = log.with(["camera": camera])
        updateStats(camera) { $0.connected += 1 }
        refreshHomeAssistant(now: MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds()))
        defer {
            updateStats(camera) { $0.connected -= 1 }
            refreshHomeAssistant(now: MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds()))
        }
        while true {
            let message = try connection.receive()
            tap.publish(.received, peer: connection.peerLabel, message)
            switch message {
            case let .frame(frame):
                guard frame.camera == camera else {
                    throw WireError.invalidField(field: "frame.camera", reason: "'\(frame.camera)' on the connection of '\(camera)'")
                }
                admit(frame, log: clog)
            case let .heartbeat(h):
                updateStats(camera) { $0.lastHeartbeat = Dictionary(h.counters.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }) }
            default:
                throw WireError.invalidField(field: "kind", reason: "a capture may send frame or heartbeat, not \(message.kind)")
            }
        }
    }

    private func triggerSuspended(_ lock: LockSettings, closed: SessionID?) {
        let why = "\(lock.id): more than \(lock.triggerBurst) occupancy activations within \(lock.triggerWindow) s, "
            + "faster than a keypad can be touched; its sessions are suspended until \(lock.triggerQuiet) s pass without one"
            + (closed.map { " (session \($0) closed)" } ?? "")
        log.error("trigger flood: lock sessions suspended", ["lock": lock.id, "burst": lock.triggerBurst,
                                                             "window_s": lock.triggerWindow, "quiet_s": lock.triggerQuiet])
        let entry = AuditEntry(timeWallNs: WallClock.nowNanoseconds(), camera: nil, txn: DetectingTxn(0), faceIndex: nil,
                               captureMonotonicNs: nil, captureWallNs: nil, member: nil, distance: nil, snapshotJSON: nil,
                               unlockedLocks: [], kind: .triggerSuspended, reason: why)
        homeAssistant?.decided(lock: lock.id, LockDecisionState(kind: .triggerSuspended, member: nil, camera: nil,
                                                                timeWallNs: entry.timeWallNs, reason: why))
        // MQTT's network thread must not wait for room: this row never does.
        audit.perform({ try $0.appendAudit(entry) }) { [log] error in
            log.error("audit write failed", ["error": "\(error)", "lock": lock.id, "kind": entry.kind.rawValue])
        }
    }

    private func admit(_ frame: VideoFrame, log clog: Log) {
        let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
        engineLock.lock()
        let admission = engine.frameCaptured(camera: CameraID(frame.camera),
                                             captureTime: MonotonicInstant(nanoseconds: frame.captureMonotonicNs),
                                             imageSize: ImageSize(width: Int(frame.width), height: Int(frame.height)), now: now,
                                             // Under the lock, but only for a triggered frame: ~37,000
                                             // sampled pixels (~0.1 ms) whatever the resolution.
                                             thumbnail: {
                                                 frame.pixels.withUnsafeBytes {
                                                     FrameThumbnail(pixels: $0, format: frame.format, width: Int(frame.width),
                                                                    height: Int(frame.height), stride: Int(frame.stride))
                                                 }
                                             })
        // The recognizer fits the 68-point shapes only for frames a liveness lock may open.
        var landmarksWanted = false
        if case let .detect(_, snapshot) = admission { landmarksWanted = engine.landmarksWanted(snapshot) }
        engineLock.unlock()
        switch admission {
        case let .skip(reason):
            updateStats(frame.camera) { $0.framesReceived += 1; $0.framesSkipped += 1 }
            if reason == .unchanged {
                clog.debug("frame not recognized", ["seq": frame.sequence, "reason": reason.rawValue])
            } else if reason != .nothingTriggered {
                clog.info("frame not recognized", ["seq": frame.sequence, "reason": reason.rawValue])
            }
        case let .detect(txn, snapshot):
            updateStats(frame.camera) { $0.framesReceived += 1; $0.framesAdmitted += 1 }
            let wireSnapshot = Snapshot(captureMonotonicNs: frame.captureMonotonicNs, motion: snapshot.motion != nil,
                                        sessions: snapshot.lockSessions.map { SnapshotSession(sessionID: $0.session.rawValue, lock: $0.lock.rawValue) },
                                        landmarksWanted: landmarksWanted)
            clog.info("frame admitted", ["seq": frame.sequence, "txn": txn, "snapshot": snapshotText(snapshot)])
            if let replaced = pool.enqueue(Detect(txn: txn.rawValue, snapshot: wireSnapshot, frame: frame)) {
                engineLock.lock(); _ = engine.discardTxn(DetectingTxn(replaced)); engineLock.unlock()
                clog.debug("waiting frame replaced by a newer one", ["txn": hexTxn(replaced)])
            }
        }
    }

    // MARK: Recognizers

    private func serveRecognizer(_ connection: MessageConnection) throws {
        deciding.enter()
        defer { deciding.leave() }
        pool.add(connection)
        defer {
            let lost = pool.remove(connection)
            if !lost.isEmpty {
                engineLock.lock(); lost.forEach { _ = engine.discardTxn(DetectingTxn($0)) }; engineLock.unlock()
                log.warning("recognizer left with frames in flight; those frames decide nothing",
                            ["peer": connection.peerLabel, "txns": lost.map(hexTxn).joined(separator: ",")])
            }
        }
        while true {
            let message = try connection.receive()
            tap.publish(.received, peer: connection.peerLabel, message)
            switch message {
            case let .credit(credit):
                pool.addCredit(connection, credit.count)
            case let .result(result):
                guard let sent = pool.complete(result.txn, from: connection) else {
                    log.warning("result for a txn this recognizer was not given; deciding it as unknown",
                                ["peer": connection.peerLabel, "txn": hexTxn(result.txn)])
                    decide(result, trusted: false, captureWallNs: nil, frameSize: nil)
                    continue
                }
                decide(result, trusted: true, captureWallNs: sent.captureWallNs, frameSize: sent.frameSize)
            case let .error(error) where error.txn != 0:
                let sent = pool.complete(error.txn, from: connection)
                let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
                engineLock.lock()
                let decision = sent == nil ? nil
                    : engine.recognizerFailed(txn: DetectingTxn(error.txn), reason: "\(error.code): \(error.text)", now: now)
                engineLock.unlock()
                log.warning("recognizer could not process frame", ["camera": sent?.camera ?? "?", "txn": hexTxn(error.txn),
                                                                     "code": error.code, "error": error.text])
                if let decision { appendDenial(decision, captureWallNs: sent?.captureWallNs) }
            case .heartbeat:
                break
            default:
                throw WireError.invalidField(field: "kind", reason: "a recognizer may send credit, result, error or heartbeat, not \(message.kind)")
            }
        }
    }

    private func decide(_ result: RecognitionResult, trusted: Bool, captureWallNs: Int64?, frameSize: ImageSize?) {
        let faces = result.faces
        let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
        engineLock.lock()
        // A result from a recognizer that was not given the txn is judged against no pending
        // frame at all (discarding is not ours to do: the real owner may still answer).
        // A copy of a stored descriptor, or boxes outside the frame, did not come from a camera:
        // such a result decides nothing but its own rejection.
        let violation = frameSize.flatMap { plausibility.check(faces, frame: $0, gallery: gallery) }
        let decisions: [Decision]
        if let violation {
            decisions = engine.implausibleResult(txn: DetectingTxn(result.txn), faces: faces, now: now, gallery: gallery,
                                                 reason: violation.description)
        } else if trusted {
            decisions = engine.resultArrived(txn: DetectingTxn(result.txn), faces: faces, now: now, gallery: gallery)
        } else {
            decisions = engine.resultFromWrongRecognizer(claimed: DetectingTxn(result.txn), faces: faces, now: now, gallery: gallery)
        }
        engineLock.unlock()
        if let captured = decisions.first?.snapshot?.captureTime {
            decisionLatency.record(Double(now.since(captured).nanoseconds) / 1e9)
        }
        if let violation {
            log.error("implausible recognition result rejected", ["camera": result.camera, "txn": hexTxn(result.txn),
                                                                  "reason": violation.description])
        }
        let rlog = log.with(["camera": result.camera, "txn": hexTxn(result.txn)])
        if decisions.isEmpty { rlog.info("no face in frame", ["seq": result.sequence]) }
        guard !decisions.isEmpty else { return }

        // Write ahead: every row of this frame, its commands pending, is on disk before any
        // command goes out (the writer publishes them after the commit). A crash from here on
        // leaves rows whose delivery is unknown, or no row and no command, never an opened
        // door without a row.
        let entries = decisions.map { decision in
            AuditRows.decision(decision, result: result, captureWallNs: captureWallNs) { locksByID[$0.rawValue]?.commandQoS ?? 1 }
        }
        let crops = config.crops.enabled ? decisions.map { decision -> AuditCrop? in
            do {
                return try AuditRows.crop(decision, result: result, model: RecognizerSettings.descriptorModel,
                                          detector: config.recognizer.detectorDescription)
            } catch {
                rlog.warning("face crop not kept", ["face": decision.faceIndex ?? -1, "error": "\(error)"])
                return nil
            }
        } : []
        audit.appendFrame(entries, crops: crops, label: hexTxn(result.txn), committed: { [self] ids in
            for (decision, entry) in zip(decisions, entries) { homeAssistant?.decided(decision, timeWallNs: entry.timeWallNs) }
            for (decision, auditID) in zip(decisions, ids) {
                if decision.isUnlock {
                    rlog.info("UNLOCK", ["member": decision.member?.name ?? "",
                                         "locks": decision.unlockedLocks.map(\.rawValue).joined(separator: ","),
                                         "audit_id": auditID, "reason": decision.reason])
                } else {
                    rlog.info("deny \(decision.kind.rawValue)", ["member": decision.member?.name ?? "unknown", "reason": decision.reason])
                }
                for claim in decision.claims { deliver(claim, of: decision, auditID: auditID, log: rlog) }
            }
        }, failed: { [self] error in
            let claims = decisions.flatMap(\.claims)
            engineLock.lock(); claims.forEach { engine.unlockFailed($0) }; engineLock.unlock()
            rlog.error("audit write failed; nothing is published for this frame", ["error": "\(error)",
                       "locks": claims.map(\.lock.rawValue).joined(separator: ",")])
        })
    }

    /// Faces whose lock policy waited for more evidence that never came within the window: each
    /// gets its denial row, against the newest frame of its track (no command, nothing to wait for).
    private func auditLapsedPolicies(_ decisions: [Decision]) {
        for decision in decisions {
            log.with(["camera": decision.camera?.rawValue ?? "?", "txn": hexTxn(decision.txn.rawValue)])
                .info("deny \(decision.kind.rawValue)", ["member": decision.member?.name ?? "unknown", "reason": decision.reason])
            appendDenial(decision, captureWallNs: nil)
        }
    }

    /// The row of a decision that publishes nothing, in a transaction of its own.
    private func appendDenial(_ decision: Decision, captureWallNs: Int64?) {
        let entry = AuditEntry(decision: decision, timeWallNs: WallClock.nowNanoseconds(), captureWallNs: captureWallNs)
        let label = hexTxn(decision.txn.rawValue)
        audit.appendFrame([entry], label: label, committed: { [homeAssistant] _ in
            homeAssistant?.decided(decision, timeWallNs: entry.timeWallNs)
        }) { [log] failure in
            log.error("audit write failed", ["error": "\(failure)", "txn": label])
        }
    }

    private func deliver(_ claim: UnlockClaim, of decision: Decision, auditID: Int64, log rlog: Log) {
        guard let settings = locksByID[claim.lock.rawValue] else {
            // Not reachable: the engine only claims configured locks.
            return deliveryFinished(claim, of: decision, auditID: auditID, settings: nil, outcome: .failed("lock not configured"),
                                    log: rlog)
        }
        mqtt.publishCommand(topic: config.mqtt.setTopic(for: settings), payload: settings.unlockPayload,
                            qos: settings.commandQoS, deadlineNanoseconds: claim.deadline.nanoseconds) { [self] outcome in
            deliveryFinished(claim, of: decision, auditID: auditID, settings: settings, outcome: outcome, log: rlog)
        }
    }

    /// The publish outcome of one command: the engine, the log, the audit row and (for a
    /// command that went out) the wait for the lock's confirmation.
    private func deliveryFinished(_ claim: UnlockClaim, of decision: Decision, auditID: Int64, settings: LockSettings?,
                                  outcome: PublishOutcome,
                                  log rlog: Log) {
        let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
        let key = DeliveryKey(auditID: auditID, lock: claim.lock)
        let state: UnlockDelivery.State
        let detail: String
        var mayHaveArrived = true
        switch outcome {
        case let .published(how): (state, detail) = (.published, how)
        case let .failed(why): (state, detail, mayHaveArrived) = (.failed, why, false)
        case let .unacknowledged(why): (state, detail) = (.failed, why)
        case let .unknown(why): (state, detail) = (.unknown, why)
        }
        // Queued before the confirmation is awaited: the outcome is written before anything
        // the lock reports about it.
        audit.perform({ try $0.recordDelivery(auditID: auditID, lock: claim.lock, state: state, detail: detail,
                                              wallNs: WallClock.nowNanoseconds()) }) { [log] error in
            log.error("audit delivery update failed", ["error": "\(error)", "audit_id": auditID, "lock": claim.lock.rawValue])
        }
        engineLock.lock()
        if state == .failed {
            engine.unlockFailed(claim)
        } else {
            // Unknown counts as sent: a TOGGLE of unknown fate is never sent again.
            engine.unlockDelivered(claim)
        }
        // A command that went out, even unacknowledged, is watched for the lock's report: the
        // record then says whether the door opened after all.
        if mayHaveArrived, let settings {
            confirmations.expect(key, lock: claim.lock, publishedAt: now, timeout: .seconds(settings.confirmTimeout))
        }
        engineLock.unlock()
        let dlog = rlog.with(["lock": claim.lock.rawValue, "audit_id": auditID, "qos": settings?.commandQoS ?? -1,
                              "outcome": state.rawValue, "detail": detail])
        switch state {
        case .published: dlog.info("unlock delivered")
        case .unknown: dlog.warning("unlock delivery unknown; treated as sent")
        case .failed, .pending: dlog.error("unlock not delivered")
        }
        // The door did not open after all: Home Assistant must not keep showing `unlock`.
        if state == .failed {
            homeAssistant?.decided(lock: claim.lock.rawValue, LockDecisionState(
                kind: .unlockFailed, member: decision.member?.name, camera: decision.camera?.rawValue,
                timeWallNs: WallClock.nowNanoseconds(), reason: "unlock of \(claim.lock) not delivered: \(detail)"))
        }
    }

    private func recordConfirmation(_ key: DeliveryKey, _ confirmation: UnlockDelivery.Confirmation) {
        statsLock.lock()
        metricTallies.confirmations[key.lock.rawValue, default: [:]][confirmation.rawValue, default: 0] += 1
        statsLock.unlock()
        if confirmation == .unconfirmed {
            log.warning("lock did not confirm the unlock", ["lock": key.lock.rawValue, "audit_id": key.auditID])
        }
        audit.perform({ try $0.recordConfirmation(auditID: key.auditID, lock: key.lock, confirmation,
                                                  wallNs: WallClock.nowNanoseconds()) }) { [log] error in
            log.error("audit confirmation update failed", ["error": "\(error)", "audit_id": key.auditID])
        }
    }

    // MARK: Store

    private func reloadGalleryIfChanged() throws {
        let token = try store.changeToken()
        engineLock.lock(); let current = galleryToken; engineLock.unlock()
        guard token != current else { return }
        let fresh = try store.loadGallery()
        engineLock.lock(); gallery = fresh.gallery; galleryToken = fresh.token; engineLock.unlock()
        log.info("gallery loaded", ["members": fresh.gallery.members.count, "descriptors": fresh.gallery.descriptorCount,
                                    "generation": fresh.token])
    }

    // MARK: Status

    private func updateStats(_ camera: String, _ body: (inout CameraStats) -> Void) {
        statsLock.lock(); body(&cameraStats[camera, default: CameraStats()]); statsLock.unlock()
    }

    func statusJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain data of our own making: encoding cannot fail.
        return (try? encoder.encode(status())).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    func status() -> BrokerStatus {
        let now = MonotonicInstant(nanoseconds: MonotonicClock.nowNanoseconds())
        engineLock.lock()
        let open = engine.openTriggers(now: now)
        let counters = engine.counters
        let pending = engine.pendingTxnCount
        let run = engine.bootPrefix
        let members = gallery.members.count
        let awaiting = confirmations.count
        let links = onvifLinks
        engineLock.unlock()
        statsLock.lock(); let stats = cameraStats; statsLock.unlock()
        let status = BrokerStatus(
            pid: getpid(), run: run.description,
            mqtt: .init(connected: mqtt?.isConnected ?? false, host: config.mqtt.host, port: config.mqtt.port),
            cameras: config.cameras.map { c in
                let s = stats[c.id] ?? CameraStats()
                return .init(id: c.id, connected: s.connected > 0, framesReceived: s.framesReceived,
                             framesAdmitted: s.framesAdmitted, framesSkipped: s.framesSkipped, capture: s.lastHeartbeat,
                             motionSource: c.motionSource, onvifConnected: c.onvif == nil ? nil : links[c.id] != nil)
            },
            openSessions: open.map { t in
                .init(trigger: t.source.description, session: t.session.description,
                      openForSeconds: Double(now.since(t.since).nanoseconds) / 1e9,
                      closesInSeconds: t.deadline > now ? Double(t.deadline.since(now).nanoseconds) / 1e9 : 0,
                      unlocked: t.unlockedLocks.map(\.rawValue))
            },
            recognizers: pool.status, pendingTxns: pending, waitingFrames: pool.waitingCount, framesDropped: pool.dropped,
            galleryMembers: members, auditFailures: audit.failures, auditQueue: audit.depth,
            auditQueueCapacity: audit.capacity,
            counters: .init(counters, unlocksInFlight: mqtt?.commandsInFlight ?? 0, awaitingConfirmation: awaiting,
                            auditQueueFull: audit.timesFull))
        return status
    }

    // MARK: Metrics

    /// A broker that cannot bind its metrics address still decides and unlocks: metrics are
    /// for watching, so their failure is logged, not fatal.
    private func startMetrics() {
        guard let address = config.metrics.broker else { return }
        do {
            let server = try MetricsServer(host: address.host, port: address.port, log: log) { [unowned self] in
                Exposition.text(metricFamilies(), recorded: recorded)
            }
            server.start()
            metricsServer = server
        } catch {
            log.error("cannot serve metrics; continuing without them", ["listen": address, "error": "\(error)"])
        }
    }

    func metricFamilies() -> [MetricFamily] {
        let current = status()
        engineLock.lock(); let byLock = engine.counters.decisionsByLock; engineLock.unlock()
        statsLock.lock(); let tallies = metricTallies; statsLock.unlock()
        return BrokerMetrics.families(status: current, decisionsByLock: byLock, tallies: tallies)
    }

    private func snapshotText(_ s: CaptureSnapshot) -> String {
        let locks = s.lockSessions.map { "\($0.lock)#\($0.session)" }
        return "{" + (locks + (s.motion.map { ["motion#\($0.session)"] } ?? [])).joined(separator: ",") + "}"
    }
}
