import FacegateConfig
import Foundation

/// One message on Frigate's events topic (`frigate/events`): `{"type":"new"|"update"|"end",
/// "before":{...},"after":{"id":...,"camera":...,"label":...,"current_zones":[...],...}}`.
/// Only `after` is read: it is the event's state now. A message that is not this shape is
/// named in the error so the log says what Frigate (or whoever) sent.
struct FrigateEvent: Equatable {
    enum Kind: String { case new, update, end }

    var kind: Kind
    var id: String
    var camera: String
    var label: String
    var currentZones: [String]
    var falsePositive: Bool

    enum ParseError: Error, CustomStringConvertible, Equatable {
        case notJSON
        case missing(String)
        case badType(String)
        var description: String {
            switch self {
            case .notJSON: "payload is not a JSON object"
            case let .missing(key): "no \(key)"
            case let .badType(type): "\"type\" is \"\(type)\", not new, update or end"
            }
        }
    }

    static func parse(_ payload: [UInt8]) throws -> FrigateEvent {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { throw ParseError.notJSON }
        guard let type = object["type"] as? String else { throw ParseError.missing("\"type\"") }
        guard let kind = Kind(rawValue: type) else { throw ParseError.badType(type) }
        guard let after = object["after"] as? [String: Any] else { throw ParseError.missing("\"after\" object") }
        guard let id = after["id"] as? String, !id.isEmpty else { throw ParseError.missing("after.id") }
        guard let camera = after["camera"] as? String else { throw ParseError.missing("after.camera") }
        guard let label = after["label"] as? String else { throw ParseError.missing("after.label") }
        let zones = (after["current_zones"] as? [Any])?.compactMap { $0 as? String } ?? []
        // Only a JSON true (its own NSNumber class) marks a false positive, not a 1.
        let jsonTrue = NSNumber(value: true)
        let falsePositive = (after["false_positive"] as? NSNumber).map { Swift.type(of: $0) == Swift.type(of: jsonTrue) && $0.boolValue } ?? false
        return FrigateEvent(kind: kind, id: id, camera: camera, label: label, currentZones: zones, falsePositive: falsePositive)
    }

    /// Whether this event keeps `trigger`'s camera in motion now: not ended, not a false
    /// positive, a wanted label, and (when zones are set) inside one of them now.
    func counts(for trigger: FrigateTrigger) -> Bool {
        kind != .end && !falsePositive && trigger.labels.contains(label)
            && (trigger.zones.isEmpty || !Set(trigger.zones).isDisjoint(with: currentZones))
    }
}
