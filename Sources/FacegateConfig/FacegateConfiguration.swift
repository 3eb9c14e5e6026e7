import Foundation
import TOMLKit
import Vocabulary

/// The one TOML file every facegate process reads; each takes its section.
///
/// Every section is optional and has defaults, except that cameras and locks must be described
/// to be used. Durations are seconds as numbers (fractions allowed), so tests can compress time
/// by scaling them. `deploy/facegate.example.toml` documents every key.
public struct FacegateConfiguration: Equatable, Sendable {
    public var runtime: RuntimeSettings
    public var mqtt: MQTTSettings
    public var cameras: [CameraSettings]
    public var locks: [LockSettings]
    public var recognizer: RecognizerSettings
    public var decision: DecisionSettings
    public var liveness: LivenessThresholds
    public var roles: RoleSettings
    public var homeAssistant: HomeAssistantSettings
    public var metrics: MetricsSettings
    public var crops: CropSettings = CropSettings()
    public var web: WebSettings

    public init(runtime: RuntimeSettings = RuntimeSettings(), mqtt: MQTTSettings = MQTTSettings(),
                cameras: [CameraSettings] = [], locks: [LockSettings] = [],
                recognizer: RecognizerSettings = RecognizerSettings(), decision: DecisionSettings = DecisionSettings(),
                liveness: LivenessThresholds = LivenessThresholds(), roles: RoleSettings = RoleSettings(),
                homeAssistant: HomeAssistantSettings = HomeAssistantSettings(), metrics: MetricsSettings = MetricsSettings(),
                web: WebSettings = WebSettings()) {
        self.runtime = runtime
        self.mqtt = mqtt
        self.cameras = cameras
        self.locks = locks
        self.recognizer = recognizer
        self.decision = decision
        self.liveness = liveness
        self.roles = roles
        self.homeAssistant = homeAssistant
        self.metrics = metrics
        self.web = web
    }

    public func camera(id: String) -> CameraSettings? { cameras.first { $0.id == id } }
    public func lock(id: String) -> LockSettings? { locks.first { $0.id == id } }

    /// Some lock judges liveness, so frames will ask the recognizers for 68-point shapes.
    public var judgesLiveness: Bool { locks.contains { $0.liveness(decision) != .off } }

    // MARK: Loading

    /// Reads and validates the file at `path`. Relative paths inside it (sockets_dir, database,
    /// models_dir, TLS files, password_file) are taken relative to the file's directory, and
    /// `password_file` is read here. Throws a `ConfigError` listing every problem.
    /// `requireMQTTLogin`: also a problem when the broker would connect to MQTT anonymously
    /// without `allow_anonymous = true` (for the broker and config check; the other processes
    /// never touch MQTT).
    public static func load(path: String, requireMQTTLogin: Bool = false) throws -> FacegateConfiguration {
        let text: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError(file: path, problems: [ConfigProblem(line: 0, message: "cannot read \(path): it is a directory, not a configuration file")])
        }
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, problems: [ConfigProblem(line: 0, message: "cannot read \(path): \(error.localizedDescription)")])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text: text, baseDirectory: base, file: path, requireMQTTLogin: requireMQTTLogin)
    }

    /// Validates `text` (no file access) and returns the configuration, or throws a `ConfigError`.
    /// With a `baseDirectory`, relative paths are resolved against it and `password_file` is read.
    public static func parse(text: String, baseDirectory: String? = nil, file: String? = nil,
                             requireMQTTLogin: Bool = false) throws -> FacegateConfiguration {
        let (configuration, problems, index) = read(text: text, requireMQTTLogin: requireMQTTLogin)
        guard var configuration, problems.isEmpty else {
            throw ConfigError(file: file, problems: problems.isEmpty ? [ConfigProblem(line: 0, message: "invalid configuration")] : problems)
        }
        if let baseDirectory {
            configuration.resolvePaths(against: baseDirectory)
            let socketProblems = configuration.socketPathProblems(index)
            if !socketProblems.isEmpty { throw ConfigError(file: file, problems: socketProblems) }
            if let passwordFile = configuration.mqtt.passwordFile {
                do {
                    let secret = try String(contentsOfFile: passwordFile, encoding: .utf8)
                    configuration.mqtt.password = String(secret.trimmingCharacters(in: .newlines))
                } catch {
                    let line = index.line(of: ["mqtt", "password_file"]) ?? 0
                    throw ConfigError(file: file, problems: [ConfigProblem(
                        line: line, message: "mqtt.password_file: cannot read \(passwordFile): \(error.localizedDescription)")])
                }
            }
        }
        return configuration
    }

    /// Every problem in `text`, sorted by line; empty when the configuration is valid.
    /// For `facegate config check`. TOML syntax errors stop the parser, so at most one of those
    /// is reported (with its column); all semantic problems are reported together.
    public static func check(text: String, requireMQTTLogin: Bool = false) -> [ConfigProblem] {
        read(text: text, requireMQTTLogin: requireMQTTLogin).problems
    }

    private static func read(text: String, requireMQTTLogin: Bool = false)
        -> (configuration: FacegateConfiguration?, problems: [ConfigProblem], index: KeyLineIndex) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let problem = ConfigProblem(line: error.source.begin.line, column: error.source.begin.column,
                                        message: "TOML syntax: \(error.description)")
            return (nil, [problem], KeyLineIndex(text: ""))
        } catch {
            return (nil, [ConfigProblem(line: 0, message: "TOML syntax: \(error)")], KeyLineIndex(text: ""))
        }
        let index = KeyLineIndex(text: text)
        let problems = ProblemCollector(index: index)
        let configuration = FacegateConfiguration(root: TableReader(table: root, path: [], problems: problems))
        if requireMQTTLogin, let refusal = configuration.mqtt.anonymousRefusal {
            problems.add(["mqtt", "username"], refusal)
        }
        let sorted = problems.problems.enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map(\.element)
        return (configuration, sorted, index)
    }

    private init(root: TableReader) {
        runtime = root.subtable("runtime").map(RuntimeSettings.init) ?? RuntimeSettings()
        mqtt = root.subtable("mqtt").map(MQTTSettings.init) ?? MQTTSettings()
        let lockEntries = FacegateConfiguration.readArray(root, "locks", LockSettings.init)
        let cameraEntries = FacegateConfiguration.readArray(root, "cameras", CameraSettings.init)
        locks = lockEntries.map(\.item)
        cameras = cameraEntries.map(\.item)
        recognizer = root.subtable("recognizer").map(RecognizerSettings.init) ?? RecognizerSettings()
        decision = root.subtable("decision").map(DecisionSettings.init) ?? DecisionSettings()
        liveness = root.subtable("liveness").map(LivenessThresholds.init) ?? LivenessThresholds()
        roles = root.subtable("roles").map { RoleSettings($0) } ?? RoleSettings()
        homeAssistant = root.subtable("home_assistant").map(HomeAssistantSettings.init) ?? HomeAssistantSettings()
        metrics = root.subtable("metrics").map(MetricsSettings.init) ?? MetricsSettings()
        crops = root.subtable("crops").map(CropSettings.init) ?? CropSettings()
        web = root.subtable("web").map(WebSettings.init) ?? WebSettings()
        root.finish()
        crossCheck(root.problems, lockPositions: lockEntries.map(\.position), cameraPositions: cameraEntries.map(\.position))
    }

    /// `[[name]]` entries with their position in the file; an entry with a fatal problem (no id)
    /// is left out after being reported.
    private static func readArray<T>(_ root: TableReader, _ key: String, _ make: (TableReader) -> T?) -> [(position: Int, item: T)] {
        guard let value = root.raw(key) else { return [] }
        guard let array = value.array else {
            root.problem(key, "must be an array of tables, written [[\(key)]]")
            return []
        }
        var out: [(position: Int, item: T)] = []
        for (offset, element) in array.enumerated() {
            let path = [key, KeyLineIndex.element(offset)]
            guard let table = element.table else {
                root.problems.add(path, "must be a table, written [[\(key)]]")
                continue
            }
            if let item = make(TableReader(table: table, path: path, problems: root.problems)) { out.append((offset, item)) }
        }
        return out
    }

    /// Rules that span sections: ids unique, every lock a camera names exists, ...
    private func crossCheck(_ problems: ProblemCollector, lockPositions: [Int], cameraPositions: [Int]) {
        var lockIds: Set<String> = []
        var friendlyNames: [String: String] = [:]
        for (offset, lock) in locks.enumerated() {
            let path = ["locks", KeyLineIndex.element(lockPositions[offset])]
            if !lockIds.insert(lock.id).inserted {
                problems.add(path + ["id"], "duplicate lock id \"\(lock.id)\"")
            }
            // zigbee2mqtt reads <base>/<name>/set and /get as commands: a lock named "DC001/set"
            // would take DC001's unlock commands for its occupancy reports.
            let segments = lock.friendlyName.split(separator: "/", omittingEmptySubsequences: false)
            if segments.dropFirst().contains(where: { $0 == "set" || $0 == "get" }) {
                let key = path + [lock.friendlyName == lock.id ? "id" : "friendly_name"]
                if let other = locks.first(where: { $0.id != lock.id && "\($0.friendlyName)/set" == lock.friendlyName }) {
                    problems.add(key, "friendly name \"\(lock.friendlyName)\" is lock \"\(other.id)\"'s command topic")
                } else {
                    problems.add(key, "friendly name \"\(lock.friendlyName)\" must not contain a /set or /get segment (zigbee2mqtt command topics)")
                }
            } else if let other = friendlyNames[lock.friendlyName], other != lock.id {
                problems.add(path + [lock.friendlyName == lock.id ? "id" : "friendly_name"],
                             "friendly name \"\(lock.friendlyName)\" is already used by lock \"\(other)\"")
            } else {
                friendlyNames[lock.friendlyName] = lock.id
            }
        }
        for (offset, lock) in locks.enumerated() where lock.confirmWindow(decision) > decision.maxDecisionAge
            && (lock.confirmFrames(decision) > 1 || lock.liveness(decision) != .off) {
            // Frames older than max_decision_age decide nothing: evidence spread over a longer
            // window could never all count.
            let own = lock.confirmWindow != nil
            problems.add(own ? ["locks", KeyLineIndex.element(lockPositions[offset]), "confirm_window"] : ["decision", "confirm_window"],
                         "confirm_window \(TableReader.format(lock.confirmWindow(decision))) of lock \"\(lock.id)\" is longer than decision.max_decision_age (\(TableReader.format(decision.maxDecisionAge)))")
        }
        let known = locks.map(\.id)
        let knownText = known.isEmpty ? "no [[locks]] are configured" : "known locks: \(known.joined(separator: ", "))"
        var cameraIds: Set<String> = []
        var motionTopics: [String: String] = [:]
        var frigateCameras: [String: String] = [:]
        for (offset, camera) in cameras.enumerated() {
            let path = ["cameras", KeyLineIndex.element(cameraPositions[offset])]
            if !cameraIds.insert(camera.id).inserted {
                problems.add(path + ["id"], "duplicate camera id \"\(camera.id)\"")
            }
            var seen: Set<String> = []
            for (index, lock) in camera.locks.enumerated() {
                let elementPath = path + ["locks", KeyLineIndex.element(index)]
                if !known.contains(lock) {
                    problems.add(elementPath, "unknown lock \"\(lock)\" (\(knownText))")
                } else if !seen.insert(lock).inserted {
                    problems.add(elementPath, "lock \"\(lock)\" is listed twice")
                }
            }
            for (index, lock) in camera.motionLocks.enumerated() where !camera.locks.contains(lock) {
                let elementPath = path + ["motion_locks", KeyLineIndex.element(index)]
                if known.contains(lock) {
                    problems.add(elementPath, "lock \"\(lock)\" is not one of this camera's locks")
                } else {
                    problems.add(elementPath, "unknown lock \"\(lock)\" (\(knownText))")
                }
            }
            for lock in camera.zones.keys.sorted() where !camera.locks.contains(lock) {
                problems.add(path + ["zones", lock], known.contains(lock)
                    ? "zone for lock \"\(lock)\", which is not one of this camera's locks"
                    : "zone for unknown lock \"\(lock)\" (\(knownText))")
            }
            if let topic = camera.motionTopic {
                if let other = motionTopics[topic] {
                    problems.add(path + ["motion_topic"], "topic \"\(topic)\" is already camera \"\(other)\"'s motion topic")
                } else {
                    motionTopics[topic] = camera.id
                }
                if topic.hasPrefix(mqtt.baseTopic + "/") {
                    let rest = String(topic.dropFirst(mqtt.baseTopic.count + 1))
                    if let lock = locks.first(where: { $0.friendlyName == rest }) {
                        problems.add(path + ["motion_topic"], "is lock \"\(lock.id)\"'s occupancy topic")
                    }
                }
            }
            if let frigate = camera.frigate {
                let key = "\(frigate.topic)\u{1F}\(frigate.camera)"
                if let other = frigateCameras[key] {
                    problems.add(path + ["frigate", "camera"], "Frigate camera \"\(frigate.camera)\" on \(frigate.topic) already triggers camera \"\(other)\"")
                } else {
                    frigateCameras[key] = camera.id
                }
                // zigbee2mqtt's tree is its own (the ACL gives it to zigbee2mqtt alone).
                if frigate.topic == mqtt.baseTopic || frigate.topic.hasPrefix(mqtt.baseTopic + "/") {
                    problems.add(path + ["frigate", "topic"], "must not lie under mqtt.base_topic \"\(mqtt.baseTopic)\" (zigbee2mqtt's topics)")
                }
            }
        }
        if homeAssistant.enabled { crossCheckHomeAssistant(problems, lockPositions: lockPositions, cameraPositions: cameraPositions) }
        checkMetricsPorts(problems)
    }

    /// The trees Home Assistant's discovery writes must not overlap the topics facegate reads,
    /// and each lock and camera needs a discovery object id of its own.
    private func crossCheckHomeAssistant(_ problems: ProblemCollector, lockPositions: [Int], cameraPositions: [Int]) {
        func under(_ topic: String, _ root: String) -> Bool { topic == root || topic.hasPrefix(root + "/") }
        let ha = homeAssistant
        for (key, root) in [("discovery_prefix", ha.discoveryPrefix), ("node_id", ha.stateRoot)] {
            if under(root, mqtt.baseTopic) || under(mqtt.baseTopic, root) {
                problems.add(firstWritten: [["home_assistant", key], ["home_assistant", "enabled"]], "\(key == "node_id" ? "the state topics \(root)/... overlap" : "\"\(root)\" overlaps") "
                             + "mqtt.base_topic \"\(mqtt.baseTopic)\" (zigbee2mqtt's topics)")
            }
        }
        for (offset, camera) in cameras.enumerated() {
            let path = ["cameras", KeyLineIndex.element(cameraPositions[offset])]
            for (key, topic) in [("motion_topic", camera.motionTopic), ("frigate", camera.frigate?.topic)] {
                guard let topic, under(topic, ha.stateRoot) || under(topic, ha.discoveryPrefix) else { continue }
                problems.add(path + (key == "frigate" ? ["frigate", "topic"] : [key]),
                             "\"\(topic)\" lies under a Home Assistant tree facegate publishes (\(ha.discoveryPrefix)/ or \(ha.stateRoot)/)")
            }
        }
        var lockObjects: [String: String] = [:]
        for (offset, lock) in locks.enumerated() {
            let object = HomeAssistantSettings.objectID(lock.id)
            if let other = lockObjects[object], other != lock.id {
                problems.add(["locks", KeyLineIndex.element(lockPositions[offset]), "id"],
                             "lock \"\(lock.id)\" and lock \"\(other)\" are both \"\(object)\" in Home Assistant's discovery ids ('.' becomes '_')")
            } else {
                lockObjects[object] = lock.id
            }
        }
        var cameraObjects: [String: String] = [:]
        for (offset, camera) in cameras.enumerated() {
            let object = HomeAssistantSettings.objectID(camera.id)
            if let other = cameraObjects[object], other != camera.id {
                problems.add(["cameras", KeyLineIndex.element(cameraPositions[offset]), "id"],
                             "camera \"\(camera.id)\" and camera \"\(other)\" are both \"\(object)\" in Home Assistant's discovery ids ('.' becomes '_')")
            } else {
                cameraObjects[object] = camera.id
            }
        }
    }

    /// Each camera's capture takes the port after the previous one's: the range must fit, and
    /// the broker's port must not fall inside it (the second process to bind would fail).
    private func checkMetricsPorts(_ problems: ProblemCollector) {
        guard let base = metrics.cameras, !cameras.isEmpty else { return }
        guard let last = metrics.camera(index: cameras.count - 1) else {
            problems.add(["metrics", "cameras"], "\(cameras.count) cameras need ports \(base.port) to \(Int(base.port) + cameras.count - 1), past 65535")
            return
        }
        if let broker = metrics.broker, broker.host == base.host, (base.port...last.port).contains(broker.port) {
            problems.add(["metrics", "broker"], "port \(broker.port) is one of the cameras' ports \(base.port)-\(last.port) ([metrics] cameras)")
        }
    }

    private mutating func resolvePaths(against base: String) {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
        }
        runtime.socketsDirectory = resolve(runtime.socketsDirectory)
        runtime.database = resolve(runtime.database)
        recognizer.modelsDirectory = resolve(recognizer.modelsDirectory)
        mqtt.passwordFile = mqtt.passwordFile.map(resolve)
        mqtt.tlsCAFile = mqtt.tlsCAFile.map(resolve)
        mqtt.tlsCertFile = mqtt.tlsCertFile.map(resolve)
        mqtt.tlsKeyFile = mqtt.tlsKeyFile.map(resolve)
        web.tlsCertFile = web.tlsCertFile.map(resolve)
        web.tlsKeyFile = web.tlsKeyFile.map(resolve)
        for index in cameras.indices {
            if let file = cameras[index].onvif?.passwordFile { cameras[index].onvif?.passwordFile = resolve(file) }
        }
    }
}
