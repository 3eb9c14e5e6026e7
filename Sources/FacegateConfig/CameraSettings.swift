import Foundation
import Vocabulary

/// One `[[cameras]]` entry: a camera at a door, the locks it can see, and its motion trigger.
public struct CameraSettings: Equatable, Sendable {
    public enum RTSPTransport: String, Sendable { case tcp, udp, auto }

    public var id: String
    /// `rtsp://…`, `rtsps://…`, `file:///path.mp4`, `v4l2:///dev/video0`, `test:` (GStreamer test pattern).
    public var source: String
    /// Frames per second sent to the broker at most.
    public var fps: Double
    /// Frames wider than this are scaled down (aspect kept) in the capture process; 0 = never.
    public var maxWidth: Int
    public var pixelFormat: PixelFormat
    public var rtspTransport: RTSPTransport
    public var rtspLatencyMilliseconds: Int
    /// Seconds without a frame after which the capture process rebuilds its pipeline.
    public var watchdogSeconds: Double
    /// Ids of the locks at this camera's door: only these can be opened by its frames.
    public var locks: [String]
    /// Full MQTT topic on which an NVR publishes this camera's motion, if any.
    public var motionTopic: String?
    /// Payloads meaning motion started / ended (whole payload, or the string at `motionJSONKey`).
    public var motionPayloadOn: String
    public var motionPayloadOff: String
    /// When set, payloads are JSON objects and this key holds the state (true/false, or the on/off strings).
    public var motionJSONKey: String?
    /// Locks a face may open while the motion trigger is on (no lock touched). Empty: motion
    /// only starts recognition for the locks that are touched.
    public var motionLocks: [String]
    /// Seconds after which a motion trigger whose "off" never came ends anyway.
    public var motionMax: Double
    /// Optional per-lock zones: a face counts for a lock only if its box centre is inside.
    public var zones: [String: NormalizedRect]
    /// The smallest face, in pixels across in this camera's frames, that must be found: the
    /// recognizer picks the detection scale from it (nil: the finest its upsample allows).
    public var minFacePx: Int? = nil
    /// Grey levels (0-255) within which every cell of a 32×18 thumbnail must stay for a frame
    /// to count as unchanged since the last judged frame of the same sessions, and not be
    /// recognized again; 0 recognizes every frame. Off unless set: the example configuration
    /// sets 6, and test rigs that feed one synthetic picture again and again keep their counts.
    public var changeSkip: Int = CameraSettings.defaultChangeSkip
    public static let defaultChangeSkip = 0
    /// Frigate object events as this camera's motion trigger.
    public var frigate: FrigateTrigger?
    /// The camera's own ONVIF motion events (through facegate-onvif) as its motion trigger.
    public var onvif: OnvifTrigger?

    /// Whether the camera has a motion trigger at all (one source at most: MQTT topic, Frigate or ONVIF).
    public var hasMotionTrigger: Bool { motionTopic != nil || frigate != nil || onvif != nil }

    /// Zones the recognizer may restrict detection to: only when every lock of the camera has
    /// one (a lock without a zone takes a face anywhere in the frame).
    public var detectionZones: [NormalizedRect] {
        guard !locks.isEmpty, locks.allSatisfy({ zones[$0] != nil }) else { return [] }
        return locks.map { zones[$0]! }
    }

    /// The motion source's name for logs: mqtt, frigate or onvif.
    public var motionSource: String? {
        motionTopic != nil ? "mqtt" : frigate != nil ? "frigate" : onvif != nil ? "onvif" : nil
    }

    public static let sourceSchemes = ["rtsp", "rtsps", "file", "v4l2", "image", "test"]

    public init(id: String, source: String, fps: Double = 10, maxWidth: Int = 1280, pixelFormat: PixelFormat = .rgb24,
                rtspTransport: RTSPTransport = .tcp, rtspLatencyMilliseconds: Int = 200, watchdogSeconds: Double = 10,
                locks: [String] = [], motionTopic: String? = nil, motionPayloadOn: String = "ON",
                motionPayloadOff: String = "OFF", motionJSONKey: String? = nil, motionLocks: [String] = [],
                motionMax: Double = 60, zones: [String: NormalizedRect] = [:], frigate: FrigateTrigger? = nil,
                onvif: OnvifTrigger? = nil) {
        self.id = id
        self.source = source
        self.fps = fps
        self.maxWidth = maxWidth
        self.pixelFormat = pixelFormat
        self.rtspTransport = rtspTransport
        self.rtspLatencyMilliseconds = rtspLatencyMilliseconds
        self.watchdogSeconds = watchdogSeconds
        self.locks = locks
        self.motionTopic = motionTopic
        self.motionPayloadOn = motionPayloadOn
        self.motionPayloadOff = motionPayloadOff
        self.motionJSONKey = motionJSONKey
        self.motionLocks = motionLocks
        self.motionMax = motionMax
        self.zones = zones
        self.frigate = frigate
        self.onvif = onvif
    }

    /// The motion state a message on `motionTopic` announces: true (on), false (off), or nil
    /// when the payload means neither (logged and ignored by the caller).
    public func motionState(payload: [UInt8]) -> Bool? {
        if let key = motionJSONKey {
            let decoder = JSONDecoder()
            decoder.userInfo[MotionPayload.keyInfo] = key
            guard let value = (try? decoder.decode(MotionPayload.self, from: Data(payload)))?.value else { return nil }
            switch value {
            case let .flag(on): return on
            case let .text(text): return state(of: text)
            }
        }
        guard let text = String(bytes: payload, encoding: .utf8) else { return nil }
        return state(of: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func state(of text: String) -> Bool? {
        if text == motionPayloadOn { return true }
        if text == motionPayloadOff { return false }
        return nil
    }

    init?(_ reader: TableReader) {
        let defaults = CameraSettings(id: "", source: "")
        let id = reader.required("id")
        if let id, let problem = IdentifierRules.problem(id) { reader.problem("id", problem) }
        let source = reader.required("source")
        if let source {
            let scheme = source.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
            if !source.contains(":") || !CameraSettings.sourceSchemes.contains(scheme) {
                reader.problem("source", "must be a URI starting with one of \(CameraSettings.sourceSchemes.map { "\($0):" }.joined(separator: ", "))")
            }
        }
        fps = reader.number("fps", default: defaults.fps, in: 0...120, exclusiveLower: true)
        maxWidth = reader.int("max_width", default: defaults.maxWidth, in: 0...16384)
        if maxWidth != 0 && maxWidth < 64 {
            reader.problem("max_width", "must be 0 (no limit) or at least 64, not \(maxWidth)")
            maxWidth = defaults.maxWidth
        }
        // The config's words for the one pixel format vocabulary.
        pixelFormat = reader.choice("pixel_format", ["rgb", "gray"], default: "rgb") == "gray" ? .gray8 : .rgb24
        rtspTransport = RTSPTransport(rawValue: reader.choice("rtsp_transport", ["tcp", "udp", "auto"], default: "tcp")) ?? .tcp
        rtspLatencyMilliseconds = reader.int("rtsp_latency_ms", default: defaults.rtspLatencyMilliseconds, in: 0...10000)
        watchdogSeconds = reader.number("watchdog_seconds", default: defaults.watchdogSeconds, in: 0...3600, exclusiveLower: true)
        locks = reader.stringArray("locks") ?? []
        motionTopic = reader.string("motion_topic")
        if let topic = motionTopic, let problem = TopicRules.problem(topic) {
            reader.problem("motion_topic", problem)
            motionTopic = nil
        }
        motionPayloadOn = reader.nonEmptyString("motion_payload_on") ?? defaults.motionPayloadOn
        motionPayloadOff = reader.nonEmptyString("motion_payload_off") ?? defaults.motionPayloadOff
        if motionPayloadOn == motionPayloadOff {
            reader.problem("motion_payload_off", "must differ from motion_payload_on")
        }
        motionJSONKey = reader.nonEmptyString("motion_json_key")
        motionLocks = reader.stringArray("motion_locks") ?? []
        motionMax = reader.number("motion_max", default: defaults.motionMax, in: 0...86400, exclusiveLower: true)
        frigate = reader.subtable("frigate").flatMap(FrigateTrigger.init)
        onvif = reader.subtable("onvif").flatMap(OnvifTrigger.init)
        let sources = ["motion_topic", "frigate", "onvif"].filter { reader.has($0) }
        if sources.count > 1 {
            // Two sources would fight over one timeline: one's "off" would end the other's motion.
            reader.problem(sources[1], "a camera takes its motion from one source; \(sources.joined(separator: " and ")) are both set")
        }
        if sources.isEmpty {
            for key in ["motion_locks", "motion_max"] where reader.has(key) {
                reader.problem(key, "has no effect without motion_topic, frigate or onvif")
            }
        }
        if !reader.has("motion_topic") {
            for key in ["motion_payload_on", "motion_payload_off", "motion_json_key"] where reader.has(key) {
                reader.problem(key, "has no effect without motion_topic")
            }
        }
        if reader.has("min_face_px") {
            minFacePx = reader.int("min_face_px", default: 100, in: 20...4096)
        }
        changeSkip = reader.int("change_skip", default: Self.defaultChangeSkip, in: 0...255)
        zones = [:]
        if let zoneTable = reader.subtable("zones") {
            for lock in zoneTable.table.keys {
                if let rect = NormalizedRect(zoneTable, key: lock) { zones[lock] = rect }
            }
            zoneTable.finish()
        }
        reader.finish()
        guard let id, let source else { return nil }
        self.id = id
        self.source = source
    }
}

extension NormalizedRect {
    /// A zone as the config writes it: `[x0, y0, x1, y1]`, fractions of the image, origin top left.
    init?(_ reader: TableReader, key: String) {
        let message = "must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 (fractions of the image)"
        guard let array = reader.raw(key)?.array, array.count == 4 else {
            reader.problem(key, message)
            return nil
        }
        let values = array.map { element in element.int.map(Double.init) ?? element.double }
        guard values.allSatisfy({ $0 != nil }) else { reader.problem(key, message); return nil }
        let v = values.map { $0! }
        guard let rect = try? NormalizedRect(minX: v[0], minY: v[1], maxX: v[2], maxY: v[3]) else {
            reader.problem(key, message)
            return nil
        }
        self = rect
    }
}

/// A JSON motion message: the value under the camera's `motion_json_key`, when it is a JSON
/// boolean or a string (`1`, null, objects and arrays are no state: nil).
private struct MotionPayload: Decodable {
    enum Value { case flag(Bool), text(String) }
    var value: Value?

    /// The key is the camera's setting, known only at run time.
    static let keyInfo = CodingUserInfoKey(rawValue: "facegate.motionJSONKey")!

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: Key.self)
        guard let name = decoder.userInfo[Self.keyInfo] as? String else { return }
        let key = Key(stringValue: name)
        if let flag = try? object.decode(Bool.self, forKey: key) {
            value = .flag(flag)
        } else if let text = try? object.decode(String.self, forKey: key) {
            value = .text(text)
        }
    }
}
