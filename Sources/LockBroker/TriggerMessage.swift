import Foundation

/// What a zigbee2mqtt lock message says: occupancy, and the state that confirms an unlock.
///
/// zigbee2mqtt publishes the device's whole state as one JSON object (`{"battery":90,
/// "occupancy":true,"state":"UNLOCK",...}`); only a JSON boolean `occupancy` counts. Anything
/// else is named in the error so the log says exactly what a misbehaving device or publisher sent.
struct LockReport {
    /// nil when the message carries no occupancy at all (a battery report, say).
    var occupancy: Bool?
    /// The string under the lock's `confirm_key`, if any.
    var confirmation: String?

    static func parse(_ payload: [UInt8], confirmKey: String) throws -> LockReport {
        let object = try OccupancyMessage.object(payload)
        return LockReport(occupancy: try OccupancyMessage.occupancy(in: object), confirmation: object[confirmKey] as? String)
    }
}

enum OccupancyMessage {
    enum ParseError: Error, CustomStringConvertible {
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
        try occupancy(in: object(payload))
    }

    static func object(_ payload: [UInt8]) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) else {
            throw ParseError.notJSON
        }
        guard let dictionary = object as? [String: Any] else { throw ParseError.notAnObject }
        return dictionary
    }

    static func occupancy(in dictionary: [String: Any]) throws -> Bool? {
        guard let value = dictionary["occupancy"] else { return nil }
        // `1 is Bool` holds for a bridged NSNumber; only a real JSON boolean (its own NSNumber
        // subclass) is accepted.
        guard let number = value as? NSNumber, type(of: number) == type(of: NSNumber(value: true)) else {
            throw ParseError.wrongType(value is String ? "a string" : value is NSNumber ? "a number" : "\(type(of: value))")
        }
        return number.boolValue
    }
}
