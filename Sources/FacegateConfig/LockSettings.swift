import Foundation
import Vocabulary

/// One `[[locks]]` entry: a zigbee2mqtt keypad lock.
public struct LockSettings: Equatable, Sendable {
    /// The name grants and cameras use.
    public var id: String
    /// zigbee2mqtt's friendly name: the lock's topic is `<base>/<friendly_name>`.
    public var friendlyName: String
    /// Published to `<base>/<friendly_name>/set` to open the door.
    public var unlockPayload: String
    /// Seconds after which a session whose `occupancy:false` never came is closed anyway.
    public var occupancyMax: Double
    /// The lock confirms an unlock by reporting `confirmKey: confirmValue` on its topic
    /// (zigbee2mqtt: `"state":"UNLOCK"`, or `"lock_state":"unlocked"` on models that have it)
    /// within `confirmTimeout` seconds of the command; otherwise the delivery is unconfirmed.
    public var confirmKey: String
    public var confirmValue: String
    public var confirmTimeout: Double
    /// Seconds: a lock unlocked less than this ago is not unlocked again, whatever session
    /// asks. A keypad session lasts about 10 s, so a genuine second unlock comes later.
    public var minUnlockInterval: Double
    /// More than `triggerBurst` occupancy activations within `triggerWindow` seconds suspend the
    /// lock's sessions until `triggerQuiet` seconds pass without one; burst 0 turns this off.
    public var triggerBurst: Int
    public var triggerWindow: Double
    public var triggerQuiet: Double
    /// This lock's policy, where it differs from `[decision]`'s defaults (nil: the default).
    public var confirmFrames: Int?
    public var confirmWindow: Double?
    public var liveness: LivenessCheck?

    public static let defaultUnlockPayload = #"{"state":"UNLOCK"}"#

    public init(id: String, friendlyName: String? = nil, unlockPayload: String = LockSettings.defaultUnlockPayload,
                occupancyMax: Double = 15, confirmKey: String = "state", confirmValue: String = "UNLOCK",
                confirmTimeout: Double = 5, minUnlockInterval: Double = 10, triggerBurst: Int = 20,
                triggerWindow: Double = 10, triggerQuiet: Double = 30, confirmFrames: Int? = nil,
                confirmWindow: Double? = nil, liveness: LivenessCheck? = nil) {
        self.id = id
        self.friendlyName = friendlyName ?? id
        self.unlockPayload = unlockPayload
        self.occupancyMax = occupancyMax
        self.confirmKey = confirmKey
        self.confirmValue = confirmValue
        self.confirmTimeout = confirmTimeout
        self.minUnlockInterval = minUnlockInterval
        self.triggerBurst = triggerBurst
        self.triggerWindow = triggerWindow
        self.triggerQuiet = triggerQuiet
        self.confirmFrames = confirmFrames
        self.confirmWindow = confirmWindow
        self.liveness = liveness
    }

    /// The policy this lock applies, its own keys over `[decision]`'s.
    public func confirmFrames(_ decision: DecisionSettings) -> Int { confirmFrames ?? decision.confirmFrames }
    public func confirmWindow(_ decision: DecisionSettings) -> Double { confirmWindow ?? decision.confirmWindow }
    public func liveness(_ decision: DecisionSettings) -> LivenessCheck { liveness ?? decision.liveness }

    /// MQTT QoS of the unlock command: 1 for an idempotent payload (a duplicate is harmless,
    /// and the PUBACK says it reached mosquitto), 0 for a TOGGLE (at most once: a second copy
    /// would lock the door again).
    public var commandQoS: Int { isToggle ? 0 : 1 }

    /// Locks that only toggle re-lock on a second command: such a payload must never be sent twice.
    public var isToggle: Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(unlockPayload.utf8)) as? [String: Any],
              let state = object["state"] as? String else { return false }
        return state.uppercased() == "TOGGLE"
    }

    init?(_ reader: TableReader) {
        let id = reader.required("id")
        if let id, let problem = IdentifierRules.problem(id) { reader.problem("id", problem) }
        let friendlyName = reader.string("friendly_name")
        if let friendlyName, let problem = TopicRules.problem(friendlyName) { reader.problem("friendly_name", problem) }
        let payload = reader.string("unlock_payload", default: LockSettings.defaultUnlockPayload)
        if (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] == nil {
            reader.problem("unlock_payload", "must be a JSON object such as {\"state\":\"UNLOCK\"}")
        }
        let occupancyMax = reader.number("occupancy_max", default: 15, in: 0...86400, exclusiveLower: true)
        let confirmKey = reader.string("confirm_key", default: "state")
        if confirmKey.isEmpty { reader.problem("confirm_key", "must not be empty (zigbee2mqtt locks report \"state\" or \"lock_state\")") }
        let confirmValue = reader.string("confirm_value", default: "UNLOCK")
        if confirmValue.isEmpty { reader.problem("confirm_value", "must not be empty (e.g. \"UNLOCK\" or \"unlocked\")") }
        let confirmTimeout = reader.number("confirm_timeout", default: 5, in: 0...600, exclusiveLower: true)
        let minUnlockInterval = reader.number("min_unlock_interval", default: 10, in: 0...3600)
        let burst = reader.number("trigger_burst", default: 20, in: 0...100_000)
        if burst.rounded() != burst { reader.problem("trigger_burst", "must be a whole number of activations, got \(burst)") }
        let window = reader.number("trigger_window", default: 10, in: 0...3600, exclusiveLower: true)
        let quiet = reader.number("trigger_quiet", default: 30, in: 0...86400, exclusiveLower: true)
        let confirmFrames = reader.has("confirm_frames") ? reader.int("confirm_frames", default: 1, in: 1...100) : nil
        let confirmWindow = reader.has("confirm_window")
            ? reader.number("confirm_window", default: 2, in: 0...60, exclusiveLower: true) : nil
        let liveness = LivenessCheck(reader, "liveness")
        reader.finish()
        guard let id else { return nil }
        self.init(id: id, friendlyName: friendlyName, unlockPayload: payload, occupancyMax: occupancyMax,
                  confirmKey: confirmKey, confirmValue: confirmValue, confirmTimeout: confirmTimeout,
                  minUnlockInterval: minUnlockInterval, triggerBurst: Int(burst), triggerWindow: window, triggerQuiet: quiet,
                  confirmFrames: confirmFrames, confirmWindow: confirmWindow, liveness: liveness)
    }
}

/// Camera and lock ids appear in logs, socket names and audit rows: keep them plain.
enum IdentifierRules {
    static func problem(_ id: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if id.count > 64 { return "must be at most 64 characters" }
        if !id.allSatisfy({ allowed.contains($0) }) { return "may only contain letters, digits, '.', '_' and '-'" }
        return nil
    }
}
