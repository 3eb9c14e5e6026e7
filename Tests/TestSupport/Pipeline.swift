import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// The whole facegate pipeline as real processes, for end-to-end scenarios: mosquitto on
/// 127.0.0.1, the lock simulator, a fresh SQLite file with members enrolled by
/// `facegate faces enroll`, `facegate-broker`, N `facegate-recognizer` (real dlib models) and,
/// while the camera shows something, one `facegate-capture` whose source is a photo from
/// `../shared/faces` (`image://...`). A camera pointed at nothing is no capture process.
///
/// The test plays the script and the supervisor: it touches keypads through the simulator,
/// starts and stops the capture to change what the camera shows, sends signals to any process
/// and starts it again. Scenario time runs from `begin()`; `at(t)` sleeps until scenario second
/// `t` (a step that had to wait for something may make later steps late, never early).
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class Pipeline: @unchecked Sendable {
    public enum Part: Hashable, Sendable, CustomStringConvertible {
        case broker, capture, recognizer(String), mosquitto, onvif

        public var description: String {
            switch self {
            case .broker: "broker"
            case .capture: "capture"
            case let .recognizer(name): "recognizer \(name)"
            case .mosquitto: "mosquitto"
            case .onvif: "onvif"
            }
        }
    }

    /// What the camera showed from `start` to `end` (CLOCK_MONOTONIC ns); end nil while showing.
    public struct Showing: Sendable {
        public let source: String
        public let photo: String?
        public let start: UInt64
        public internal(set) var end: UInt64?
    }

    public let options: PipelineOptions
    public let dir: TemporaryDirectory
    public let mosquitto: MosquittoServer
    public let configURL: URL
    public let databaseURL: URL
    public let socketsDirectory: String
    public private(set) var locks: LockSimProcess!
    public private(set) var broker: ChildProcess?
    public private(set) var recognizers: [String: ChildProcess] = [:]
    public private(set) var capture: ChildProcess?
    /// facegate-onvif for cam-a, when its motion comes from ONVIF.
    public private(set) var onvif: ChildProcess?
    public private(set) var showings: [Showing] = []
    /// Every process started, in order, for `dump()`.
    public private(set) var started: [ChildProcess] = []
    /// When a part was killed or restarted (CLOCK_MONOTONIC ns), for invariant checks.
    public private(set) var resets: [(part: Part, at: UInt64)] = []
    public private(set) var t0: UInt64 = MonotonicClock.nowNanoseconds()
    private var generations: [String: Int] = [:]
    private var lastSource: String?

    public var scale: Double { options.scale }

    /// Sets everything up and waits until the broker is ready and every recognizer connected.
    /// The camera shows nothing yet; scenario time starts now (call `begin()` to restart it).
    public init(_ options: PipelineOptions = PipelineOptions(), startBroker: Bool = true) throws {
        self.options = options
        dir = TemporaryDirectory(prefix: "fgs")
        configURL = dir.file("facegate.toml")
        databaseURL = dir.file("facegate.sqlite")
        socketsDirectory = dir.file("run").path
        // The configuration names mosquitto's port, and mosquitto's ACL comes from the configuration.
        let port = freeLoopbackPort()
        try options.configuration(socketsDirectory: socketsDirectory, database: databaseURL.path,
                                  mqttPort: port, modelsDirectory: Paths.modelsDirectory.path)
            .write(to: configURL, atomically: true, encoding: .utf8)
        if options.anonymousMQTT {
            mosquitto = try MosquittoServer(port: port, extraConfig: options.mosquittoConfig)
        } else {
            try (PipelineOptions.mqttUsers["facegate"]! + "\n").write(to: dir.file(PipelineOptions.mqttPasswordFile),
                                                                      atomically: true, encoding: .utf8)
            let acl = try Pipeline.runAdmin(["mqtt", "acl"], config: configURL, directory: dir.url, name: "facegate-mqtt-acl")
            mosquitto = try MosquittoServer(users: PipelineOptions.mqttUsers.merging(options.extraMQTTUsers) { a, _ in a },
                                            acl: acl, port: port, extraConfig: options.mosquittoConfig)
            // Tests publish what a lock (or the NVR) would: as zigbee2mqtt unless they say otherwise.
            mosquitto.defaultUser = "zigbee2mqtt"
        }
        if case let .onvif(o) = options.motionSource {
            try (o.password + "\n").write(to: dir.file(PipelineOptions.onvifPasswordFile), atomically: true, encoding: .utf8)
        }
        for member in options.members { try enroll(member) }
        locks = try LockSimProcess(server: mosquitto, locks: PipelineOptions.locks, occupancySeconds: options.holdSeconds,
                                   timeScale: options.scale, directory: dir.url,
                                   username: options.anonymousMQTT ? nil : "zigbee2mqtt")
        if startBroker {
            try self.startBroker()
            for name in options.recognizers { try startRecognizer(name) }
        }
        begin()
    }

    deinit { shutdown() }

    /// Stops every process (SIGCONT first, in case one is stopped).
    public func shutdown() {
        capture?.signal(SIGCONT); capture?.terminate(grace: 5); capture = nil
        onvif?.signal(SIGCONT); onvif?.terminate(grace: 10); onvif = nil
        for (_, r) in recognizers { r.signal(SIGCONT); r.terminate(grace: 5) }
        recognizers = [:]
        broker?.signal(SIGCONT); broker?.terminate(grace: 5); broker = nil
        locks?.stop()
        mosquitto.stop()
    }

    // MARK: Scenario time

    /// Scenario second 0 is now.
    public func begin() { t0 = MonotonicClock.nowNanoseconds() }

    /// The CLOCK_MONOTONIC instant of scenario second `t`.
    public func instant(_ t: Double) -> UInt64 { t0 &+ UInt64(max(0, t) * scale * 1e9) }

    /// CLOCK_MONOTONIC now, in ns (the clock of capture times and lock records).
    public static var monotonicNow: UInt64 { MonotonicClock.nowNanoseconds() }

    /// Scenario seconds since `begin()`.
    public var now: Double { Double(MonotonicClock.nowNanoseconds() &- t0) / 1e9 / scale }

    /// Scenario time of a CLOCK_MONOTONIC instant.
    public func scenarioTime(_ ns: UInt64) -> Double { Double(Int64(bitPattern: ns &- t0)) / 1e9 / scale }

    /// Sleeps until scenario second `t` (returns at once if it has passed).
    public func at(_ t: Double) {
        let target = instant(t), current = MonotonicClock.nowNanoseconds()
        if target > current { Thread.sleep(forTimeInterval: Double(target - current) / 1e9) }
    }

    // MARK: Processes

    private func nextName(_ base: String) -> String {
        generations[base, default: 0] += 1
        return "\(base)-\(generations[base]!)"
    }

    private func launch(_ executable: String, _ arguments: [String], name: String, debug: Bool = false) throws -> ChildProcess {
        let child = try ChildProcess(Paths.executable(executable), arguments,
                                     environment: debug ? ["FACEGATE_LOG_LEVEL": "debug"] : [:],
                                     logDirectory: dir.url, name: nextName(name))
        started.append(child)
        return child
    }

    /// Starts the broker and waits until it serves its sockets (and, when mosquitto runs, has
    /// its MQTT subscriptions active).
    public func startBroker(timeout: Double = 30) throws {
        precondition(broker?.isRunning != true, "broker already running")
        let child = try launch("facegate-broker", ["--config", configURL.path], name: "broker", debug: true)
        broker = child
        guard child.waitForLog("msg=\"broker ready\"", timeout: timeout) else { throw PipelineError.notReady("broker", child.log) }
        if mosquitto.isRunning, !child.waitForLog("msg=\"mqtt subscriptions active\"", timeout: timeout) {
            throw PipelineError.notReady("broker (mqtt)", child.log)
        }
    }

    /// Starts recognizer `name` and waits until it loaded its models and reached the broker
    /// (when `waitForBroker` and the broker runs).
    public func startRecognizer(_ name: String, waitForBroker: Bool = true, timeout: Double = 60) throws {
        precondition(recognizers[name]?.isRunning != true, "recognizer \(name) already running")
        let child = try launch("facegate-recognizer", ["--config", configURL.path, "--name", name],
                               name: "recognizer-\(name)", debug: true)
        recognizers[name] = child
        if waitForBroker, broker?.isRunning == true,
           !child.waitForLog("msg=\"connected to broker\"", timeout: timeout) {
            throw PipelineError.notReady("recognizer \(name)", child.log)
        }
    }

    /// Starts facegate-onvif for cam-a; with `waitForBroker`, returns once it reached the broker.
    public func startOnvif(waitForBroker: Bool = true, timeout: Double = 30) throws {
        precondition(onvif?.isRunning != true, "facegate-onvif already running")
        let child = try launch("facegate-onvif", ["--config", configURL.path, "--camera", PipelineOptions.camera], name: "onvif", debug: true)
        onvif = child
        if waitForBroker, broker?.isRunning == true, !child.waitForLog("msg=\"connected to broker\"", timeout: timeout) {
            throw PipelineError.notReady("facegate-onvif", child.log)
        }
    }

    /// The camera shows `photo` (a file in ../shared/faces) from now on, until `hide()` or the
    /// next `show`. With `waitForFrame`, returns once the capture process produced its first frame.
    public func show(_ photo: String, waitForFrame: Bool = false) throws {
        let fps = Int(options.fps.rounded(.up))
        try showSource("image://\(Paths.face(photo).path)?fps=\(fps)", photo: photo, waitForFrame: waitForFrame)
    }

    /// The camera shows a GStreamer test pattern: frames without a face.
    public func showNoFace(waitForFrame: Bool = false) throws {
        let fps = Int(options.fps.rounded(.up))
        try showSource("test://smpte?width=640&height=480&fps=\(fps)", photo: nil, waitForFrame: waitForFrame)
    }

    public func showSource(_ source: String, photo: String?, waitForFrame: Bool = false) throws {
        hide()
        let start = MonotonicClock.nowNanoseconds()
        let child = try launch("facegate-capture", ["--config", configURL.path, "--camera", PipelineOptions.camera,
                                                    "--source", source], name: "capture")
        capture = child
        lastSource = source
        showings.append(Showing(source: source, photo: photo, start: start, end: nil))
        if waitForFrame, !child.waitForLog("msg=\"first frame\"", timeout: 30) {
            throw PipelineError.notReady("capture", child.log)
        }
    }

    /// The camera shows nothing: the capture process is stopped (SIGTERM).
    public func hide() {
        guard let child = capture else { return }
        child.signal(SIGCONT)
        child.terminate(grace: 5)
        endShowing()
        capture = nil
    }

    private func endShowing() {
        if let last = showings.indices.last, showings[last].end == nil {
            showings[last].end = MonotonicClock.nowNanoseconds()
        }
    }

    public func process(_ part: Part) -> ChildProcess? {
        switch part {
        case .broker: broker
        case .capture: capture
        case let .recognizer(name): recognizers[name]
        case .mosquitto: mosquitto.process
        case .onvif: onvif
        }
    }

    /// Sends `signo` to a part. SIGKILL also waits until it is gone.
    public func signal(_ part: Part, _ signo: Int32) {
        guard let child = process(part), child.isRunning else { return }
        if signo == SIGKILL {
            child.signal(SIGCONT)
            child.signal(SIGKILL)
            child.waitForExit(timeout: 10)
            resets.append((part, MonotonicClock.nowNanoseconds()))
            if part == .capture { endShowing() }
        } else {
            child.signal(signo)
        }
    }

    public func isRunning(_ part: Part) -> Bool { process(part)?.isRunning ?? false }

    /// Starts a part again after it died (the supervisor's job). The capture comes back
    /// showing what it showed before.
    public func restart(_ part: Part, waitUntilReady: Bool = true) throws {
        resets.append((part, MonotonicClock.nowNanoseconds()))
        switch part {
        case .broker:
            if broker?.isRunning == true { broker?.signal(SIGCONT); broker?.terminate(grace: 10) }
            try startBroker()
        case .capture:
            guard let source = lastSource else { return }
            let photo = showings.last?.photo
            if capture?.isRunning == true { capture?.terminate(grace: 5) }
            endShowing()
            try showSource(source, photo: photo, waitForFrame: false)
        case let .recognizer(name):
            if recognizers[name]?.isRunning == true { recognizers[name]?.terminate(grace: 5) }
            try startRecognizer(name, waitForBroker: waitUntilReady)
        case .mosquitto:
            if mosquitto.isRunning { mosquitto.stop() }
            try mosquitto.start()
        case .onvif:
            if onvif?.isRunning == true { onvif?.terminate(grace: 10) }
            try startOnvif(waitForBroker: waitUntilReady)
        }
    }

    // MARK: Triggers

    /// How many lines of every broker run's log contain all `fragments`.
    public func brokerLines(_ fragments: String...) -> [Substring] {
        started.filter { $0.name.hasPrefix("broker-") }.flatMap { child in
            child.log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }
        }
    }

    public func brokerLineCount(_ fragments: [String]) -> Int {
        started.filter { $0.name.hasPrefix("broker-") }.reduce(0) { total, child in
            total + child.log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }.count
        }
    }

    private func lockCommand(_ command: String, lock: String, expect: String?, wait: Bool) throws {
        let fragments = expect.map { [$0, "lock=\(lock)"] } ?? []
        let before = brokerLineCount(fragments)
        try locks.send("\(command) \(lock)")
        guard wait, expect != nil, broker?.isRunning == true else { return }
        guard waitUntil(timeout: 20, { brokerLineCount(fragments) > before }) else {
            throw PipelineError.notReady("broker never saw '\(command) \(lock)'", broker?.log ?? "")
        }
    }

    /// Touches a lock's keypad; with `wait`, returns once the broker has the occupancy:true.
    public func touch(_ lock: String, wait: Bool = true) throws {
        try lockCommand("touch", lock: lock, expect: "msg=\"occupancy true\"", wait: wait)
    }

    /// The lock reports occupancy:false now.
    public func release(_ lock: String, wait: Bool = true) throws {
        try lockCommand("release", lock: lock, expect: "msg=\"occupancy false\"", wait: wait)
    }

    /// The pending occupancy:false of the lock's last touch is never sent.
    public func loseFalse(_ lock: String) throws { try lockCommand("lose-false", lock: lock, expect: nil, wait: false) }

    /// Waits until the broker received the occupancy:false of `lock` (the simulator sends it a
    /// hold time after the touch).
    @discardableResult
    public func waitForRelease(_ lock: String, count: Int = 1, timeout: Double = 60) -> Bool {
        waitUntil(timeout: timeout) { brokerLineCount(["msg=\"occupancy false\"", "lock=\(lock)"]) >= count }
    }

    /// The camera's motion trigger, as an NVR would publish it.
    public func motion(_ on: Bool) throws {
        try mosquitto.publish(topic: PipelineOptions.motionTopic, text: on ? "ON" : "OFF",
                              username: options.anonymousMQTT ? nil : "nvr")
    }

    /// A Frigate event on frigate/events for cam-a's Frigate camera, published as Frigate.
    public func frigate(_ type: String, id: String, label: String = "person", zones: [String] = [], camera: String = PipelineOptions.frigateCamera) throws {
        let after: [String: Any] = ["id": id, "camera": camera, "label": label, "current_zones": zones, "entered_zones": zones,
                                    "false_positive": false, "top_score": 0.8, "stationary": false]
        let payload = try JSONSerialization.data(withJSONObject: ["type": type, "before": after, "after": after], options: [.sortedKeys])
        try mosquitto.publish(topic: "frigate/events", payload: Array(payload), username: "frigate")
    }

    // MARK: Observations

    /// The broker's status JSON over its control socket.
    public func brokerStatus() -> [String: Any]? {
        guard let admin = try? MessageConnection.connect(
            path: socketsDirectory + "/broker.ctl", hello: Hello(role: .admin, name: "scenario", pid: UInt32(getpid())),
            expecting: [.broker]) else { return nil }
        defer { admin.close() }
        admin.socket.setReceiveTimeout(seconds: 5)
        guard (try? admin.send(.statusRequest)) != nil, case let .statusReply(reply)? = try? admin.receive() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as? [String: Any]
    }

    /// cam-a's counters in the broker's status.
    public func cameraStatus() -> [String: Any]? {
        (brokerStatus()?["cameras"] as? [[String: Any]])?.first { $0["id"] as? String == PipelineOptions.camera }
    }

    /// Locks the broker delivered an unlock to (one entry per "unlock delivered" log line).
    public var publishedUnlocks: [String] {
        brokerLines("msg=\"unlock delivered\"").compactMap { line -> String? in
            guard let range = line.range(of: " lock=") else { return nil }
            return line[range.upperBound...].prefix { $0 != " " }.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }

    /// The /set commands a lock received (all locks when nil), in order.
    public func commands(_ lock: String? = nil) -> [LockSimRecord] { locks.commands(lock: lock) }

    /// The payloads of the /set commands `lock` received.
    public func payloads(_ lock: String) -> [String] { commands(lock).compactMap(\.payload) }

    /// Lets the pipeline come to rest: the camera stops showing, the recognizers answer or
    /// drop every frame they hold, and every unlock the broker published reaches the lock
    /// simulator (unless `awaitDelivery` is false: a test that made MQTT lose one). Counts read
    /// after this are final. Returns false if it did not settle.
    @discardableResult
    public func settle(timeout: Double = 30, awaitDelivery: Bool = true) -> Bool {
        hide()
        let quiet = waitUntil(timeout: timeout, interval: 0.1) {
            guard broker?.isRunning == true else { return true }
            guard let status = brokerStatus() else { return false }
            let inFlight = (status["recognizers"] as? [[String: Any]] ?? []).reduce(0) { $0 + (($1["in_flight"] as? Int) ?? 0) }
            let commands = (status["counters"] as? [String: Any])?["unlocks_in_flight"] as? Int
            // A decision still in the audit queue has neither its row nor its command yet.
            return inFlight == 0 && (status["waiting_frames"] as? Int) == 0 && commands == 0
                && (status["audit_queue"] as? Int ?? 0) == 0
        }
        let delivered = !awaitDelivery || waitUntil(timeout: 10) { commands().count >= publishedUnlocks.count }
        return quiet && delivered
    }

    /// Lines of a process's log (all its generations) containing every fragment.
    public func lines(of prefix: String, _ fragments: String...) -> [Substring] {
        started.filter { $0.name.hasPrefix(prefix) }.flatMap { child in
            child.log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }
        }
    }

    /// The last lines of every process's log and the lock simulator's records, for failures.
    public func dump(lines count: Int = 120) -> String {
        var text = "--- scenario dir \(dir.path), t0 \(t0), scale \(scale)\n"
        for child in started + [locks.child] + [mosquitto.process].compactMap({ $0 }) {
            let lines = child.log.split(separator: "\n", omittingEmptySubsequences: false)
            text += "--- \(child.name) (\(child.isRunning ? "running" : "exited")), last \(min(count, lines.count)) of \(lines.count) lines\n"
            text += lines.suffix(count).joined(separator: "\n") + "\n"
        }
        text += "--- lock simulator records\n"
        text += ((try? String(contentsOf: locks.recordURL, encoding: .utf8)) ?? "") + "\n"
        return text
    }

    // MARK: Enrollment

    /// `facegate members add`, `facegate faces enroll`, `facegate grants add`: the admin CLI
    /// writes the fresh database.
    public func enroll(_ member: PipelineMember) throws {
        try admin(["members", "add", member.name])
        var enroll = ["faces", "enroll", member.name, Paths.face(member.photo).path]
        if let face = member.face { enroll += ["--face", String(face)] }
        try admin(enroll)
        for lock in member.grants { try admin(["grants", "add", member.name, lock]) }
    }

    /// Runs the admin CLI with `--config`; throws with its output unless it exits 0.
    @discardableResult
    public func admin(_ arguments: [String]) throws -> String {
        try Pipeline.runAdmin(arguments, config: configURL, directory: dir.url, name: nextName("facegate"))
    }

    static func runAdmin(_ arguments: [String], config: URL, directory: URL, name: String) throws -> String {
        let child = try ChildProcess(Paths.executable("facegate"), arguments + ["--config", config.path],
                                     logDirectory: directory, name: name)
        guard let status = child.waitForExit(timeout: 120), status == 0 else {
            child.terminate(grace: 1)
            throw PipelineError.adminFailed(arguments.joined(separator: " "), child.log)
        }
        return child.log
    }
}

public enum PipelineError: Error, CustomStringConvertible {
    case notReady(String, String)
    case adminFailed(String, String)

    public var description: String {
        switch self {
        case let .notReady(what, log): "\(what) did not become ready; its output:\n\(log)"
        case let .adminFailed(command, output): "facegate \(command) failed:\n\(output)"
        }
    }
}
