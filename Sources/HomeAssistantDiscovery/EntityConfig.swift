/// The body of one discovery config, with Home Assistant's documented key names (MQTT
/// discovery; the sensor and binary_sensor platforms). Keys left nil are not sent.
struct EntityConfig: Encodable, Equatable {
    var name: String
    var uniqueID: String
    var stateTopic: String
    var valueTemplate: String?
    var jsonAttributesTopic: String?
    var payloadOn: String?
    var payloadOff: String?
    var deviceClass: String?
    var options: [String]?
    var entityCategory: String?
    var availabilityTopic: String
    var payloadAvailable: String
    var payloadNotAvailable: String
    var device: DeviceInfo
    var origin: OriginInfo

    enum CodingKeys: String, CodingKey {
        case name
        case uniqueID = "unique_id"
        case stateTopic = "state_topic"
        case valueTemplate = "value_template"
        case jsonAttributesTopic = "json_attributes_topic"
        case payloadOn = "payload_on"
        case payloadOff = "payload_off"
        case deviceClass = "device_class"
        case options
        case entityCategory = "entity_category"
        case availabilityTopic = "availability_topic"
        case payloadAvailable = "payload_available"
        case payloadNotAvailable = "payload_not_available"
        case device
        case origin
    }
}

/// `device`: groups a lock's (or a camera's) entities on one device card.
struct DeviceInfo: Encodable, Equatable {
    var identifiers: [String]
    var name: String
    var manufacturer: String
    var model: String
    var swVersion: String

    enum CodingKeys: String, CodingKey {
        case identifiers, name, manufacturer, model
        case swVersion = "sw_version"
    }
}

/// `origin`: which application announced the entity (Home Assistant logs it).
struct OriginInfo: Encodable, Equatable {
    var name: String
    var swVersion: String

    enum CodingKeys: String, CodingKey {
        case name
        case swVersion = "sw_version"
    }
}
