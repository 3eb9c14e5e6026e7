// In BrokerCore, not WireProtocol: a status-reply carries whatever JSON its process chooses
// (captures and recognizers answer with their own shapes); this one is the broker's account of
// its engine, pure data that the broker encodes and `facegate status` decodes.

/// What the broker answers on its control socket to a status request: one JSON object whose
/// keys `facegate status --json`, the tests and deploy/README.md §7 rely on.
public struct BrokerStatus: Codable, Sendable, Equatable {
    public var process: String
    public var pid: Int32
    /// The run prefix of this broker's txns (8 hex digits).
    public var run: String
    public var mqtt: MQTT
    public var cameras: [Camera]
    public var openSessions: [Session]
    public var recognizers: [Recognizer]
    public var pendingTxns: Int
    /// Admitted frames waiting for a recognizer's credit (at most one per camera).
    public var waitingFrames: Int
    public var framesDropped: UInt64
    public var galleryMembers: Int
    public var auditFailures: Int
    /// Frames whose audit rows wait for the disk, and how many may before recognizers wait
    /// (nil from a broker that had no audit queue).
    public var auditQueue: Int?
    public var auditQueueCapacity: Int?
    public var counters: Counters

    enum CodingKeys: String, CodingKey {
        case process, pid, run, mqtt, cameras, recognizers, counters
        case openSessions = "open_sessions", pendingTxns = "pending_txns", waitingFrames = "waiting_frames"
        case framesDropped = "frames_dropped", galleryMembers = "gallery_members", auditFailures = "audit_failures"
        case auditQueue = "audit_queue", auditQueueCapacity = "audit_queue_capacity"
    }

    public init(process: String = "facegate-broker", pid: Int32, run: String, mqtt: MQTT, cameras: [Camera],
                openSessions: [Session], recognizers: [Recognizer], pendingTxns: Int, waitingFrames: Int,
                framesDropped: UInt64, galleryMembers: Int, auditFailures: Int, auditQueue: Int?, auditQueueCapacity: Int?,
                counters: Counters) {
        self.process = process
        self.pid = pid
        self.run = run
        self.mqtt = mqtt
        self.cameras = cameras
        self.openSessions = openSessions
        self.recognizers = recognizers
        self.pendingTxns = pendingTxns
        self.waitingFrames = waitingFrames
        self.framesDropped = framesDropped
        self.galleryMembers = galleryMembers
        self.auditFailures = auditFailures
        self.auditQueue = auditQueue
        self.auditQueueCapacity = auditQueueCapacity
        self.counters = counters
    }

    public struct MQTT: Codable, Sendable, Equatable {
        public var connected: Bool
        public var host: String
        public var port: Int

        public init(connected: Bool, host: String, port: Int) {
            self.connected = connected
            self.host = host
            self.port = port
        }
    }

    public struct Camera: Codable, Sendable, Equatable {
        public var id: String
        public var connected: Bool
        public var framesReceived: UInt64
        /// Sent for recognition (a session or motion was open at capture time).
        public var framesAdmitted: UInt64
        public var framesSkipped: UInt64
        /// The capture process's own counters, from its last heartbeat.
        public var capture: [String: UInt64]
        /// Where the camera's motion comes from: `mqtt`, `frigate` or `onvif`; absent when it
        /// has no motion trigger (or from a broker that did not say).
        public var motionSource: String?
        /// For an `onvif` camera: whether its facegate-onvif is connected to the broker now.
        public var onvifConnected: Bool?

        enum CodingKeys: String, CodingKey {
            case id, connected, capture
            case framesReceived = "frames_received", framesAdmitted = "frames_admitted", framesSkipped = "frames_skipped"
            case motionSource = "motion_source", onvifConnected = "onvif_connected"
        }

        public init(id: String, connected: Bool, framesReceived: UInt64, framesAdmitted: UInt64, framesSkipped: UInt64,
                    capture: [String: UInt64], motionSource: String? = nil, onvifConnected: Bool? = nil) {
            self.id = id
            self.connected = connected
            self.framesReceived = framesReceived
            self.framesAdmitted = framesAdmitted
            self.framesSkipped = framesSkipped
            self.capture = capture
            self.motionSource = motionSource
            self.onvifConnected = onvifConnected
        }
    }

    /// A lock or motion session open now.
    public struct Session: Codable, Sendable, Equatable {
        /// `lock DC006` or `motion on cam-a`.
        public var trigger: String
        public var session: String
        public var openForSeconds: Double
        public var closesInSeconds: Double
        public var unlocked: [String]

        enum CodingKeys: String, CodingKey {
            case trigger, session, unlocked
            case openForSeconds = "open_for_s", closesInSeconds = "closes_in_s"
        }

        public init(trigger: String, session: String, openForSeconds: Double, closesInSeconds: Double, unlocked: [String]) {
            self.trigger = trigger
            self.session = session
            self.openForSeconds = openForSeconds
            self.closesInSeconds = closesInSeconds
            self.unlocked = unlocked
        }
    }

    public struct Recognizer: Codable, Sendable, Equatable {
        /// `recognizer:NAME pid=N`, as in the logs and the tap.
        public var peer: String
        public var name: String
        public var credits: UInt32
        public var inFlight: Int
        public var sent: UInt64
        public var results: UInt64

        enum CodingKeys: String, CodingKey {
            case peer, name, credits, sent, results
            case inFlight = "in_flight"
        }

        public init(peer: String, name: String, credits: UInt32, inFlight: Int, sent: UInt64, results: UInt64) {
            self.peer = peer
            self.name = name
            self.credits = credits
            self.inFlight = inFlight
            self.sent = sent
            self.results = results
        }
    }

    /// The engine's running totals and the delivery gauges.
    ///
    /// Decoding takes a missing counter as 0: counters are added as the broker learns new
    /// things to count, and `facegate status` must still summarize a broker built before one.
    public struct Counters: Codable, Sendable, Equatable {
        public var occupancyEvents = 0
        public var motionEvents = 0
        public var retainedIgnored = 0
        public var sessionsOpened = 0
        public var framesAdmitted = 0
        /// By `FrameSkipReason` raw value.
        public var framesSkipped: [String: Int] = [:]
        public var results = 0
        /// By `DecisionKind` raw value.
        public var decisions: [String: Int] = [:]
        public var unlocks = 0
        public var unlocksFailed = 0
        public var triggerSuspensions = 0
        /// Commands handed to MQTT whose outcome is not known yet.
        public var unlocksInFlight = 0
        public var awaitingConfirmation = 0
        /// Times a frame's rows found the audit queue full and waited.
        public var auditQueueFull = 0
        public var txnsExpired = 0
        public var txnsDiscarded = 0

        enum CodingKeys: String, CodingKey {
            case occupancyEvents = "occupancy_events", motionEvents = "motion_events", retainedIgnored = "retained_ignored"
            case sessionsOpened = "sessions_opened", framesAdmitted = "frames_admitted", framesSkipped = "frames_skipped"
            case results, decisions, unlocks
            case unlocksFailed = "unlocks_failed", triggerSuspensions = "trigger_suspensions"
            case unlocksInFlight = "unlocks_in_flight", awaitingConfirmation = "awaiting_confirmation"
            case auditQueueFull = "audit_queue_full"
            case txnsExpired = "txns_expired", txnsDiscarded = "txns_discarded"
        }

        public init() {}

        public init(_ engine: EngineCounters, unlocksInFlight: Int, awaitingConfirmation: Int, auditQueueFull: Int) {
            occupancyEvents = engine.occupancyEvents
            motionEvents = engine.motionEvents
            retainedIgnored = engine.retainedIgnored
            sessionsOpened = engine.sessionsOpened
            framesAdmitted = engine.framesAdmitted
            framesSkipped = Dictionary(uniqueKeysWithValues: engine.framesSkipped.map { ($0.key.rawValue, $0.value) })
            results = engine.results
            decisions = Dictionary(uniqueKeysWithValues: engine.decisions.map { ($0.key.rawValue, $0.value) })
            unlocks = engine.unlocks
            unlocksFailed = engine.unlocksFailed
            triggerSuspensions = engine.triggerSuspensions
            self.unlocksInFlight = unlocksInFlight
            self.awaitingConfirmation = awaitingConfirmation
            self.auditQueueFull = auditQueueFull
            txnsExpired = engine.txnsExpired
            txnsDiscarded = engine.txnsDiscarded
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func count(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
            occupancyEvents = try count(.occupancyEvents)
            motionEvents = try count(.motionEvents)
            retainedIgnored = try count(.retainedIgnored)
            sessionsOpened = try count(.sessionsOpened)
            framesAdmitted = try count(.framesAdmitted)
            framesSkipped = try c.decodeIfPresent([String: Int].self, forKey: .framesSkipped) ?? [:]
            results = try count(.results)
            decisions = try c.decodeIfPresent([String: Int].self, forKey: .decisions) ?? [:]
            unlocks = try count(.unlocks)
            unlocksFailed = try count(.unlocksFailed)
            triggerSuspensions = try count(.triggerSuspensions)
            unlocksInFlight = try count(.unlocksInFlight)
            awaitingConfirmation = try count(.awaitingConfirmation)
            auditQueueFull = try count(.auditQueueFull)
            txnsExpired = try count(.txnsExpired)
            txnsDiscarded = try count(.txnsDiscarded)
        }

        /// The single counts by JSON key, in key order (for a summary line).
        public var totals: [(key: String, value: Int)] {
            let values: [CodingKeys: Int] = [
                .occupancyEvents: occupancyEvents, .motionEvents: motionEvents, .retainedIgnored: retainedIgnored,
                .sessionsOpened: sessionsOpened, .framesAdmitted: framesAdmitted, .results: results, .unlocks: unlocks,
                .unlocksFailed: unlocksFailed, .triggerSuspensions: triggerSuspensions, .unlocksInFlight: unlocksInFlight,
                .awaitingConfirmation: awaitingConfirmation, .auditQueueFull: auditQueueFull, .txnsExpired: txnsExpired, .txnsDiscarded: txnsDiscarded,
            ]
            return values.map { ($0.key.rawValue, $0.value) }.sorted { $0.key < $1.key }
        }

        /// The counts broken down by reason or kind, by JSON key, in key order.
        public var breakdowns: [(key: String, value: [String: Int])] {
            [(CodingKeys.decisions.rawValue, decisions), (CodingKeys.framesSkipped.rawValue, framesSkipped)]
        }
    }
}
