import Foundation

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

    public static let defaultUnlockPayload = #"{"state":"UNLOCK"}"#

    public init(id: String, friendlyName: String? = nil, unlockPayload: String = LockSettings.defaultUnlockPayload,
                occupancyMax: Double = 15) {
        self.id = id
        self.friendlyName = friendlyName ?? id
        self.unlockPayload = unlockPayload
        self.occupancyMax = occupancyMax
    }

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
        reader.finish()
        guard let id else { return nil }
        self.init(id: id, friendlyName: friendlyName, unlockPayload: payload, occupancyMax: occupancyMax)
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
