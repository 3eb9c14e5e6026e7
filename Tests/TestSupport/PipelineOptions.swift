import Foundation

/// A member of a `Pipeline`'s cast: enrolled from `photo` (in `../shared/faces`) with
/// `facegate faces enroll`, holding grants for `grants`.
public struct PipelineMember: Hashable, Sendable {
    public var name: String
    public var photo: String
    /// Which face of a photo with several (numbered left to right); nil for one-face photos.
    public var face: Int?
    public var grants: [String]

    public init(_ name: String, photo: String, face: Int? = nil, grants: [String]) {
        self.name = name
        self.photo = photo
        self.face = face
        self.grants = grants
    }

    /// SCENARIOS.md's cast: obama (DC001, DC006) and biden (DC001).
    public static let obama = PipelineMember("obama", photo: "obama.jpg", grants: ["DC001", "DC006"])
    public static let biden = PipelineMember("biden", photo: "biden.jpg", grants: ["DC001"])
    public static let cast = [obama, biden]
}

/// How a `Pipeline` is set up. Times are scenario seconds; `scale` turns them into real
/// seconds for the configuration (occupancy_max, max_decision_age, txn_ttl, motion_max), the
/// lock simulator's hold time and the script alike.
public struct PipelineOptions: Sendable {
    /// Real seconds per scenario second.
    public var scale = 0.5
    /// The simulated keypad's hold time: occupancy:false this long after a touch.
    public var holdSeconds = 10.0
    public var occupancyMax = 15.0
    public var maxDecisionAge = 5.0
    public var txnTTL = 30.0
    /// The camera's frame-rate cap (the photo source produces frames at this rate, rounded up).
    public var fps = 4.0
    /// Captured frames are scaled down to this width (the photos are up to 1434 px wide).
    public var maxWidth = 480
    /// cam-a's min_face_px; nil: not set (the recognizer's finest scale).
    public var minFacePx: Int?
    /// cam-a's change_skip; 0 (off) by default: most scenarios count the decisions a still
    /// photo produces frame after frame.
    public var changeSkip = 0
    /// One facegate-recognizer process per name.
    public var recognizers = ["r1"]
    /// lock id → unlock payload (default `{"state":"UNLOCK"}`).
    public var unlockPayloads: [String: String] = [:]
    /// lock id → [x0, y0, x1, y1] zone of cam-a.
    public var zones: [String: [Double]] = [:]
    /// nil: cam-a has no motion trigger; otherwise its motion_locks.
    public var motionLocks: [String]?
    public var motionMax = 60.0
    /// Where cam-a's motion comes from (with `motionLocks` set).
    public var motionSource = MotionSource.mqtt
    public var members = PipelineMember.cast
    public var matchThreshold = 0.5
    public var matchMargin = 0.05
    public var confirmFrames = 1
    /// lock id → extra `[[locks]]` lines, e.g. `liveness = "planar"` (times in real seconds).
    public var lockPolicies: [String: String] = [:]
    /// Extra `[decision]` lines (site-wide policy defaults), and a `[liveness]` table's lines.
    public var decisionExtra = ""
    public var livenessTable: String?
    /// Every lock's confirm_timeout: its state report must come this soon after a command.
    public var confirmTimeout = 4.0
    /// Every lock's min_unlock_interval (short by default: scenarios touch again quickly).
    public var minUnlockInterval = 3.0
    /// Every lock's trigger flood limit: more than `triggerBurst` activations in
    /// `triggerWindow`, suspended until `triggerQuiet` without one.
    public var triggerBurst = 20
    public var triggerWindow = 10.0
    public var triggerQuiet = 30.0
    /// An open bus: mosquitto admits anonymous clients and the configuration says
    /// `allow_anonymous = true`. Off: every client logs in and mosquitto enforces the ACL
    /// `facegate mqtt acl` prints (the deployment the guide describes).
    public var anonymousMQTT = false
    /// Logins beyond `mqttUsers` (an `intruder` the ACL grants nothing).
    public var extraMQTTUsers: [String: String] = [:]
    /// More mosquitto.conf lines (`log_type debug` shows "Denied PUBLISH" for refused publishes).
    public var mosquittoConfig: [String] = []
    /// A `[metrics]` table's lines (nil: none, metrics off).
    public var metricsTable: String?
    /// A `[crops]` table's lines (nil: none, the defaults).
    public var cropsTable: String?

    public init() {}

    public enum MotionSource: Sendable, Equatable {
        /// `motion_topic`, published as the NVR.
        case mqtt
        /// `frigate = { camera = "front_door", labels, zones }` on frigate/events, published as Frigate.
        case frigate(labels: [String] = ["person"], zones: [String] = [])
        /// `onvif = { url, ... }`: facegate-onvif follows the camera at `url` (an OnvifTestCamera).
        case onvif(OnvifSettings)
    }

    public struct OnvifSettings: Sendable, Equatable {
        public var url: String
        public var username = "admin"
        public var password = "camera-secret"
        public var pullTimeout = 1
        public var subscriptionSeconds = 30
        public var requestTimeout = 2.0
        public var maxResponseBytes = 1 << 20
        public init(url: String) { self.url = url }
    }

    /// facegate, zigbee2mqtt (the lock simulator), the NVR (motion) and Frigate, each with its password.
    public static let mqttUsers = ["facegate": "facegate-secret", "zigbee2mqtt": "zigbee2mqtt-secret", "nvr": "nvr-secret",
                                   "frigate": "frigate-secret"]
    /// cam-a's name in Frigate.
    public static let frigateCamera = "front_door"
    /// facegate-onvif's camera password file, next to the configuration.
    public static let onvifPasswordFile = "onvif-cam-a.secret"
    /// The broker's password file, next to the configuration.
    public static let mqttPasswordFile = "mqtt-password"

    public static let motionTopic = "nvr/cam-a/motion"
    public static let locks = ["DC001", "DC006"]
    public static let camera = "cam-a"

    /// The facegate TOML for these options.
    func configuration(socketsDirectory: String, database: String, mqttPort: UInt16, modelsDirectory: String) -> String {
        func seconds(_ scenario: Double) -> String { String(format: "%.3f", scenario * scale) }
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        var text = """
        # Written by the scenario runner (TestSupport.Pipeline); scale \(scale) real s per scenario s.
        [runtime]
        sockets_dir = "\(socketsDirectory)"
        database = "\(database)"

        [mqtt]
        host = "127.0.0.1"
        port = \(mqttPort)
        client_id = "facegate-broker-scenario"
        reconnect_delay_min = 0.1
        reconnect_delay_max = 0.5
        \(anonymousMQTT ? "allow_anonymous = true" : "username = \"facegate\"\npassword_file = \"\(Self.mqttPasswordFile)\"")

        """
        for lock in Self.locks {
            text += "[[locks]]\nid = \"\(lock)\"\n"
            if let payload = unlockPayloads[lock] { text += "unlock_payload = '\(payload)'\n" }
            text += "occupancy_max = \(seconds(occupancyMax))\n"
            text += "confirm_timeout = \(seconds(confirmTimeout))\n"
            text += "min_unlock_interval = \(seconds(minUnlockInterval))\n"
            text += "trigger_burst = \(triggerBurst)\ntrigger_window = \(seconds(triggerWindow))\ntrigger_quiet = \(seconds(triggerQuiet))\n"
            if let policy = lockPolicies[lock] { text += policy + "\n" }
            text += "\n"
        }
        text += """
        [[cameras]]
        id = "\(Self.camera)"
        # Every capture process is started with --source (the photo the camera shows).
        source = "test://black?width=64&height=48&fps=1"
        fps = \(fps)
        max_width = \(maxWidth)
        locks = \(list(Self.locks))

        """
        if let minFacePx { text += "min_face_px = \(minFacePx)\n" }
        text += "change_skip = \(changeSkip)\n"
        if let motionLocks {
            switch motionSource {
            case .mqtt:
                text += "motion_topic = \"\(Self.motionTopic)\"\n"
            case let .frigate(labels, zones):
                text += "frigate = { camera = \"\(Self.frigateCamera)\", labels = \(list(labels)), zones = \(list(zones)) }\n"
            case let .onvif(o):
                text += "onvif = { url = \"\(o.url)\", username = \"\(o.username)\", password_file = \"\(Self.onvifPasswordFile)\", "
                    + "pull_timeout = \(o.pullTimeout), subscription_seconds = \(o.subscriptionSeconds), request_timeout = \(o.requestTimeout), "
                    + "max_response_bytes = \(o.maxResponseBytes) }\n"
            }
            text += "motion_locks = \(list(motionLocks))\nmotion_max = \(seconds(motionMax))\n"
        }
        if !zones.isEmpty {
            let entries = zones.keys.sorted().map { lock in
                "\(lock) = [" + zones[lock]!.map { String($0) }.joined(separator: ", ") + "]"
            }
            text += "zones = { " + entries.joined(separator: ", ") + " }\n"
        }
        text += """

        [recognizer]
        models_dir = "\(modelsDirectory)"
        detector = "hog"
        upsample = 1
        landmarks = 5
        threads = 1

        [decision]
        match_threshold = \(matchThreshold)
        match_margin = \(matchMargin)
        confirm_frames = \(confirmFrames)
        max_decision_age = \(seconds(maxDecisionAge))
        txn_ttl = \(seconds(max(txnTTL, maxDecisionAge)))
        \(decisionExtra)

        """
        if let livenessTable { text += "[liveness]\n\(livenessTable)\n" }
        if let metricsTable { text += "[metrics]\n\(metricsTable)\n" }
        if let cropsTable { text += "[crops]\n\(cropsTable)\n" }
        return text
    }
}
