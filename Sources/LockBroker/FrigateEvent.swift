import FacegateConfig
import Foundation

/// One message on Frigate's events topic (`frigate/events`): `{"type":"new"|"update"|"end",
/// "before":{...},"after":{"id":...,"camera":...,"label":...,"current_zones":[...],...}}`.
/// Only `after` is read: it is the event's state now. A message that is not this shape is
/// named in the error so the log says what Frigate (or whoever) sent.
struct FrigateEvent: Decodable, Equatable {
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
        do {
            return try JSONDecoder().decode(FrigateEvent.self, from: Data(payload))
        } catch let error as ParseError {
            throw error
        } catch {
            // Not JSON, or a bare value or array where Frigate's object belongs.
            throw ParseError.notJSON
        }
    }

    init(kind: Kind, id: String, camera: String, label: String, currentZones: [String], falsePositive: Bool) {
        self.kind = kind
        self.id = id
        self.camera = camera
        self.label = label
        self.currentZones = currentZones
        self.falsePositive = falsePositive
    }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: JSONKey.self)
        guard let type = try? object.decode(String.self, forKey: JSONKey("type")) else { throw ParseError.missing("\"type\"") }
        guard let kind = Kind(rawValue: type) else { throw ParseError.badType(type) }
        guard let after = try? object.nestedContainer(keyedBy: JSONKey.self, forKey: JSONKey("after")) else {
            throw ParseError.missing("\"after\" object")
        }
        func string(_ key: String) throws -> String {
            guard let value = try? after.decode(String.self, forKey: JSONKey(key)), !value.isEmpty else {
                throw ParseError.missing("after.\(key)")
            }
            return value
        }
        self.kind = kind
        id = try string("id")
        camera = try string("camera")
        label = try string("label")
        currentZones = (try? after.decodeIfPresent([String].self, forKey: JSONKey("current_zones"))) ?? []
        // Only a JSON true marks a false positive: the decoder refuses a 1 as a Bool.
        falsePositive = (try? after.decodeIfPresent(Bool.self, forKey: JSONKey("false_positive"))) == true
    }

    /// Whether this event keeps `trigger`'s camera in motion now: not ended, not a false
    /// positive, a wanted label, and (when zones are set) inside one of them now.
    func counts(for trigger: FrigateTrigger) -> Bool {
        kind != .end && !falsePositive && trigger.labels.contains(label)
            && (trigger.zones.isEmpty || !Set(trigger.zones).isDisjoint(with: currentZones))
    }
}
