/// How to reach and log in to the MQTT broker (mosquitto).
public struct MQTTOptions: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Two clients with the same id knock each other off the broker.
    public var clientID: String
    public var username: String?
    public var password: String?
    /// TLS is on when a CA file is given; certificate and key (both or neither) authenticate the client.
    public var tlsCAFile: String?
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    /// Skip the server hostname check (tests with self-signed certificates only).
    public var tlsInsecure: Bool
    /// Seconds between keepalive pings; libmosquitto takes whole seconds, at least 5.
    public var keepalive: Double
    /// A clean session keeps no state on the broker between connections: nothing queued
    /// while we were away is replayed (stale occupancy must not arrive late), and nothing of
    /// ours is resent.
    public var cleanSession: Bool
    /// Reconnect backoff bounds in seconds (jittered exponential between them).
    public var reconnectDelayMin: Double
    public var reconnectDelayMax: Double
    /// Larger messages are dropped with a log line, never delivered.
    public var maxPayloadBytes: Int
    /// What mosquitto publishes for us when the connection ends without a DISCONNECT (a kill,
    /// a crash, a cut network): how others learn we are gone.
    public var will: MQTTWill?

    public init(host: String = "127.0.0.1", port: Int = 1883, clientID: String, username: String? = nil,
                password: String? = nil, tlsCAFile: String? = nil, tlsCertFile: String? = nil,
                tlsKeyFile: String? = nil, tlsInsecure: Bool = false, keepalive: Double = 30,
                cleanSession: Bool = true, reconnectDelayMin: Double = 0.5, reconnectDelayMax: Double = 30,
                maxPayloadBytes: Int = 64 << 10, will: MQTTWill? = nil) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.tlsCAFile = tlsCAFile
        self.tlsCertFile = tlsCertFile
        self.tlsKeyFile = tlsKeyFile
        self.tlsInsecure = tlsInsecure
        self.keepalive = keepalive
        self.cleanSession = cleanSession
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
        self.maxPayloadBytes = maxPayloadBytes
        self.will = will
    }
}

/// A last-will message, registered with every connection attempt.
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: String
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: String, qos: Int = 1, retain: Bool = true) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// A message as it arrived. `retain` is true when the broker delivered a stored message on
/// subscription: it describes the past.
public struct MQTTMessage: Sendable, Equatable {
    public let topic: String
    public let payload: [UInt8]
    public let qos: Int
    public let retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    public var payloadText: String? { String(bytes: payload, encoding: .utf8) }
}

/// What happens on a connection, in order, on the connection's network thread.
public enum MQTTEvent: Sendable, Equatable {
    /// The broker accepted us; every subscription has been requested again.
    case connected
    /// Every subscription requested for this connection has been acknowledged: from now on
    /// nothing published on those topics is missed.
    case subscribed
    /// A connection attempt failed (TCP, TLS, or the broker refused, e.g. bad credentials).
    /// Another attempt follows after the backoff.
    case connectFailed(reason: String)
    /// An established connection was lost (or closed by `stop()`). Reconnect follows unless stopped.
    case disconnected(reason: String)
    case message(MQTTMessage)
}

public enum MQTTError: Error, Equatable, CustomStringConvertible {
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .invalidOption(text): "invalid MQTT option: \(text)"
        }
    }
}
