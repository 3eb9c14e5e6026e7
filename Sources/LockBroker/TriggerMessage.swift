import Foundation

/// What a zigbee2mqtt lock message says: occupancy, and the state that confirms an unlock.
///
/// zigbee2mqtt publishes the device's whole state as one JSON object (`{"battery":90,
/// "occupancy":true,"state":"UNLOCK",...}`); only a JSON boolean `occupancy` counts. Anything
/// else is named in the error so the log says exactly what a misbehaving device or publisher sent.
/// Keys other than `occupancy` and the lock's `confirm_key` are ignored, whatever they hold.
struct LockReport: Decodable, Equatable {
    /// nil when the message carries no occupancy at all (a battery report, say).
    var occupancy: Bool?
    /// The string under the lock's `confirm_key`, if any (another type there confirms nothing).
    var confirmation: String?

    init(occupancy: Bool?, confirmation: String?) {
        self.occupancy = occupancy
        self.confirmation = confirmation
    }

    static func parse(_ payload: [UInt8], confirmKey: String) throws -> LockReport {
        let decoder = JSONDecoder()
        decoder.userInfo[confirmKeyInfo] = confirmKey
        return try OccupancyMessage.decode(LockReport.self, from: payload, with: decoder)
    }

    /// The lock's `confirm_key` differs per lock model, so it reaches the decoder at run time.
    static let confirmKeyInfo = CodingUserInfoKey(rawValue: "facegate.confirmKey")!

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: JSONKey.self)
        occupancy = try OccupancyMessage.occupancy(in: object)
        if let key = decoder.userInfo[Self.confirmKeyInfo] as? String {
            confirmation = try? object.decodeIfPresent(String.self, forKey: JSONKey(key))
        }
    }
}

/// The `occupancy` of a lock message, decoded strictly: a JSON boolean or nothing.
enum OccupancyMessage {
    enum ParseError: Error, CustomStringConvertible, Equatable {
        case notJSON
        case notAnObject
        case wrongType(String)
        var description: String {
            switch self {
            case .notJSON: "payload is not JSON"
            case .notAnObject: "payload is not a JSON object"
            case let .wrongType(type): "\"occupancy\" is \(type), not a boolean"
            }
        }
    }

    /// nil when the message carries no occupancy at all (a battery report, say).
    static func parse(_ payload: [UInt8]) throws -> Bool? {
        try decode(LockReport.self, from: payload, with: JSONDecoder()).occupancy
    }

    /// Decodes a lock message, turning the decoder's errors into the reasons the log gives.
    static func decode<T: Decodable>(_ type: T.Type, from payload: [UInt8], with decoder: JSONDecoder) throws -> T {
        do {
            return try decoder.decode(type, from: Data(payload))
        } catch let error as ParseError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            // Valid JSON, but a bare value or an array where the device's state object belongs.
            throw ParseError.notAnObject
        } catch DecodingError.valueNotFound(_, let context) where context.codingPath.isEmpty {
            // A bare `null`.
            throw ParseError.notAnObject
        } catch {
            throw ParseError.notJSON
        }
    }

    /// Only a JSON boolean: `1`, `"true"` and `null` are refused by name (the decoder would
    /// otherwise treat a null as absent).
    static func occupancy(in object: KeyedDecodingContainer<JSONKey>) throws -> Bool? {
        let key = JSONKey("occupancy")
        guard object.contains(key) else { return nil }
        if let value = try? object.decode(Bool.self, forKey: key) { return value }
        throw ParseError.wrongType(JSONKey.typeName(of: key, in: object))
    }
}

/// Any key of a JSON object, for payloads whose interesting key is only known at run time.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }

    /// What the value under `key` is, as the log names it: "a string", "a number", "null", ...
    static func typeName(of key: JSONKey, in object: KeyedDecodingContainer<JSONKey>) -> String {
        if (try? object.decodeNil(forKey: key)) == true { return "null" }
        if (try? object.decode(Bool.self, forKey: key)) != nil { return "a boolean" }
        if (try? object.decode(String.self, forKey: key)) != nil { return "a string" }
        if (try? object.decode(Double.self, forKey: key)) != nil { return "a number" }
        if (try? object.nestedContainer(keyedBy: JSONKey.self, forKey: key)) != nil { return "an object" }
        if (try? object.nestedUnkeyedContainer(forKey: key)) != nil { return "an array" }
        return "a number out of range"
    }
}
