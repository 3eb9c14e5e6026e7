/// `[mqtt]`: the mosquitto the locks (through zigbee2mqtt) and camera motion events are on.
public struct MQTTSettings: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var username: String?
    /// The password, from `password` or read from `password_file` by `load(path:)`.
    public var password: String?
    /// Where the password came from, when it was a file (kept for messages).
    public var passwordFile: String?
    /// TLS is on when a CA file is given.
    public var tlsCAFile: String?
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    /// Skip the server hostname check (never in production: anyone on the path could unlock).
    public var tlsInsecure: Bool
    /// zigbee2mqtt's base topic: locks are `<base>/<friendly_name>`.
    public var baseTopic: String
    public var clientID: String
    /// Seconds between MQTT keepalive pings (libmosquitto wants whole seconds, at least 5).
    public var keepalive: Double
    /// Messages larger than this are dropped with a log line before any parsing.
    public var maxPayloadBytes: Int
    /// Reconnect backoff bounds, seconds.
    public var reconnectDelayMin: Double
    public var reconnectDelayMax: Double
    /// `allow_anonymous = true`: the operator accepts connecting without a login. Off by
    /// default because a bus that lets anonymous clients in lets anyone fake a keypad touch.
    public var allowAnonymous: Bool

    public var usesTLS: Bool { tlsCAFile != nil }

    public static let defaultMaxPayloadBytes = 64 << 10

    public init(host: String = "127.0.0.1", port: Int = 1883, username: String? = nil, password: String? = nil,
                passwordFile: String? = nil, tlsCAFile: String? = nil, tlsCertFile: String? = nil,
                tlsKeyFile: String? = nil, tlsInsecure: Bool = false, baseTopic: String = "zigbee2mqtt",
                clientID: String = "facegate-broker", keepalive: Double = 30,
                maxPayloadBytes: Int = MQTTSettings.defaultMaxPayloadBytes,
                reconnectDelayMin: Double = 0.5, reconnectDelayMax: Double = 30, allowAnonymous: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.passwordFile = passwordFile
        self.tlsCAFile = tlsCAFile
        self.tlsCertFile = tlsCertFile
        self.tlsKeyFile = tlsKeyFile
        self.tlsInsecure = tlsInsecure
        self.baseTopic = baseTopic
        self.clientID = clientID
        self.keepalive = keepalive
        self.maxPayloadBytes = maxPayloadBytes
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
        self.allowAnonymous = allowAnonymous
    }

    /// Why the broker must not connect with these settings (no login and no explicit consent),
    /// worded to follow "mqtt.username".
    public var anonymousRefusal: String? {
        guard username == nil, !allowAnonymous else { return nil }
        return "is not set, so facegate would connect anonymously, and a bus that admits anonymous clients lets "
            + "anyone publish a keypad touch or an unlock; set username (and password_file) to facegate's MQTT user "
            + "(see `facegate mqtt acl`), or allow_anonymous = true to accept that risk"
    }

    /// `<base>/<friendly_name>`: where the lock reports `occupancy`.
    public func stateTopic(for lock: LockSettings) -> String { "\(baseTopic)/\(lock.friendlyName)" }

    /// `<base>/<friendly_name>/set`: where unlock commands go.
    public func setTopic(for lock: LockSettings) -> String { "\(baseTopic)/\(lock.friendlyName)/set" }

    init(_ reader: TableReader) {
        let defaults = MQTTSettings()
        host = reader.nonEmptyString("host") ?? defaults.host
        port = reader.int("port", default: defaults.port, in: 1...65535)
        username = reader.nonEmptyString("username")
        password = reader.string("password")
        passwordFile = reader.nonEmptyString("password_file")
        if password != nil && passwordFile != nil {
            reader.problem("password_file", "give either password or password_file, not both")
        }
        if username == nil {
            if password != nil { reader.problem("password", "a password needs a username") }
            if passwordFile != nil { reader.problem("password_file", "a password needs a username") }
        }
        tlsCAFile = reader.nonEmptyString("tls_ca_file")
        tlsCertFile = reader.nonEmptyString("tls_cert_file")
        tlsKeyFile = reader.nonEmptyString("tls_key_file")
        tlsInsecure = reader.bool("tls_insecure", default: false)
        if (tlsCertFile == nil) != (tlsKeyFile == nil) {
            reader.problem(tlsCertFile == nil ? "tls_key_file" : "tls_cert_file",
                           "tls_cert_file and tls_key_file go together")
        }
        if tlsCAFile == nil {
            for key in ["tls_cert_file", "tls_key_file", "tls_insecure"] where reader.has(key) {
                reader.problem(key, "TLS settings need tls_ca_file (TLS is on only when it is set)")
            }
        }
        baseTopic = reader.string("base_topic").flatMap { topic in
            TopicRules.problem(topic).map { reader.problem("base_topic", $0); return nil } ?? topic
        } ?? defaults.baseTopic
        clientID = reader.nonEmptyString("client_id") ?? defaults.clientID
        if clientID.utf8.count > 65535 { reader.problem("client_id", "is longer than MQTT allows") }
        keepalive = reader.number("keepalive", default: defaults.keepalive, in: 5...65535)
        maxPayloadBytes = reader.int("max_payload_bytes", default: defaults.maxPayloadBytes, in: 64...(16 << 20))
        reconnectDelayMin = reader.number("reconnect_delay_min", default: defaults.reconnectDelayMin,
                                          in: 0...3600, exclusiveLower: true)
        reconnectDelayMax = reader.number("reconnect_delay_max", default: max(defaults.reconnectDelayMax, reconnectDelayMin),
                                          in: 0...3600, exclusiveLower: true)
        allowAnonymous = reader.bool("allow_anonymous", default: false)
        if allowAnonymous && username != nil {
            reader.problem("allow_anonymous", "is for connecting without a login, yet a username is set: remove one of them")
        }
        if reconnectDelayMax < reconnectDelayMin {
            reader.problem("reconnect_delay_max", "must not be smaller than reconnect_delay_min")
        }
        reader.finish()
    }
}

/// What a topic name written in the configuration may not contain.
enum TopicRules {
    static func problem(_ topic: String) -> String? {
        if topic.isEmpty { return "must not be empty" }
        if topic.contains("+") || topic.contains("#") { return "must not contain the MQTT wildcards + or #" }
        if topic.hasPrefix("/") || topic.hasSuffix("/") { return "must not start or end with /" }
        if topic.contains("\0") { return "must not contain NUL" }
        return nil
    }
}
