import Foundation

/// One line of the lock simulator's record file with its CLOCK_MONOTONIC stamp: the clock the
/// capture process stamps frames with, so a lock's occupancy can be compared with a frame's
/// capture time.
public struct LockEvent: Sendable {
    /// "occupancy" (a report published or lost), "command" (a /set received), ...
    public let event: String
    public let lock: String?
    public let occupancy: Bool?
    /// For occupancy reports: whether the MQTT client took the message (false: not connected).
    public let published: Bool?
    public let state: String?
    public let payload: String?
    public let monotonicNs: UInt64

    /// Every record of the simulator so far, in file order.
    public static func load(_ url: URL) -> [LockEvent] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let mono = (object["monotonic_ns"] as? NSNumber)?.uint64Value else { return nil }
            return LockEvent(event: object["event"] as? String ?? "", lock: object["lock"] as? String,
                             occupancy: (object["occupancy"] as? NSNumber)?.boolValue,
                             published: (object["published"] as? NSNumber)?.boolValue,
                             state: object["state"] as? String, payload: object["payload"] as? String,
                             monotonicNs: mono)
        }
    }
}

extension Pipeline {
    /// The lock simulator's records with their monotonic stamps.
    public var lockEvents: [LockEvent] { LockEvent.load(locks.recordURL) }
}
