/// The mosquitto `acl_file` that closes the bus around facegate's locks: only zigbee2mqtt's
/// user may report a lock's state (a keypad touch), only facegate's user may command a lock,
/// only the NVR's user may raise a camera's motion trigger. Every other login (and, with
/// `allow_anonymous false`, nobody at all without one) can neither fake a touch nor unlock.
public struct MosquittoACL: Sendable {
    public let facegateUser: String
    public let zigbee2mqttUser: String
    /// Who publishes the cameras' motion topics; only used when a camera has one.
    public let motionUser: String
    /// Frigate's login; only used when a camera takes its motion from Frigate.
    public let frigateUser: String
    /// The topics Frigate's events arrive on (facegate reads them), and the tops of Frigate's
    /// trees (Frigate writes everything under them: events, stats, availability, snapshots).
    public let frigateTopics: [String]
    public let frigateRoots: [String]
    public let baseTopic: String
    /// Topics facegate reads: every lock's state topic, then every motion topic.
    public let lockStateTopics: [String]
    public let lockSetTopics: [String]
    public let motionTopics: [String]
    /// Home Assistant's login; only used with `[home_assistant] enabled`.
    public let homeAssistantUser: String
    /// `[home_assistant]`, when enabled: facegate writes its discovery configs and its states,
    /// and reads Home Assistant's birth; Home Assistant reads them and writes its birth.
    public let homeAssistant: HomeAssistantSettings?

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case noFacegateUser
        case badUserName(role: String, name: String)
        case sharedUser(String)

        public var description: String {
            switch self {
            case .noFacegateUser:
                "mqtt.username is not set: the ACL grants facegate's rights to that user (anonymous clients get none)"
            case let .badUserName(role, name):
                "\(role) user \"\(name)\" cannot be written in a mosquitto ACL (empty, or contains whitespace)"
            case let .sharedUser(name):
                "facegate and zigbee2mqtt (or the motion publisher) both log in as \"\(name)\": each needs its own user, "
                    + "or either could do the other's part (fake touches, or unlock)"
            }
        }
    }

    public init(configuration: FacegateConfiguration, zigbee2mqttUser: String = "zigbee2mqtt",
                motionUser: String = "nvr", frigateUser: String = "frigate", homeAssistantUser: String = "homeassistant") throws {
        guard let facegateUser = configuration.mqtt.username else { throw Problem.noFacegateUser }
        for (role, name) in [("facegate (mqtt.username)", facegateUser), ("zigbee2mqtt", zigbee2mqttUser), ("motion", motionUser),
                             ("frigate", frigateUser), ("home assistant", homeAssistantUser)]
        where name.isEmpty || name.contains(where: { $0.isWhitespace }) {
            throw Problem.badUserName(role: role, name: name)
        }
        let motionTopics = configuration.cameras.compactMap(\.motionTopic)
        if facegateUser == zigbee2mqttUser { throw Problem.sharedUser(facegateUser) }
        if !motionTopics.isEmpty, motionUser == facegateUser || motionUser == zigbee2mqttUser { throw Problem.sharedUser(motionUser) }
        var frigateTopics: [String] = []
        for topic in configuration.cameras.compactMap(\.frigate?.topic) where !frigateTopics.contains(topic) { frigateTopics.append(topic) }
        if !frigateTopics.isEmpty, [facegateUser, zigbee2mqttUser].contains(frigateUser)
            || (!motionTopics.isEmpty && frigateUser == motionUser) {
            throw Problem.sharedUser(frigateUser)
        }
        homeAssistant = configuration.homeAssistant.enabled ? configuration.homeAssistant : nil
        // Home Assistant must not share a login with anyone who may touch or command a lock.
        if homeAssistant != nil, [facegateUser, zigbee2mqttUser].contains(homeAssistantUser)
            || (!motionTopics.isEmpty && homeAssistantUser == motionUser)
            || (!frigateTopics.isEmpty && homeAssistantUser == frigateUser) {
            throw Problem.sharedUser(homeAssistantUser)
        }
        self.homeAssistantUser = homeAssistantUser
        self.frigateUser = frigateUser
        self.frigateTopics = frigateTopics
        var roots: [String] = []
        for topic in frigateTopics {
            let root = String(topic.split(separator: "/").first ?? Substring(topic))
            if !roots.contains(root) { roots.append(root) }
        }
        frigateRoots = roots
        self.facegateUser = facegateUser
        self.zigbee2mqttUser = zigbee2mqttUser
        self.motionUser = motionUser
        baseTopic = configuration.mqtt.baseTopic
        lockStateTopics = configuration.locks.map { configuration.mqtt.stateTopic(for: $0) }
        lockSetTopics = configuration.locks.map { configuration.mqtt.setTopic(for: $0) }
        self.motionTopics = motionTopics
    }

    /// The users the password file needs, in the order they appear in the ACL.
    public var users: [String] {
        [facegateUser, zigbee2mqttUser] + (motionTopics.isEmpty ? [] : [motionUser]) + (frigateTopics.isEmpty ? [] : [frigateUser])
            + (homeAssistant == nil ? [] : [homeAssistantUser])
    }

    /// The `acl_file` text. Comment lines tell how to wire it in and create the password file
    /// (`passwordFile`), so the whole output can be saved as the ACL as it is. No password
    /// appears: `mosquitto_passwd` asks for each.
    public func text(source: String, passwordFile: String) -> String {
        var lines = [
            "# mosquitto acl_file for facegate, from \(source) (`facegate mqtt acl`).",
            "# mosquitto.conf (per_listener_settings false):",
            "#   allow_anonymous false",
            "#   password_file \(passwordFile)",
            "#   acl_file <this file>",
            "# Create the password file; each command asks for that user's password:",
        ]
        for (offset, user) in users.enumerated() {
            lines.append("#   mosquitto_passwd \(offset == 0 ? "-c " : "")\(passwordFile) \(user)")
        }
        lines += [
            "# Give facegate its password in [mqtt] password_file, zigbee2mqtt in its configuration.yaml (mqtt.user/password)"
                + (motionTopics.isEmpty ? "" : ", the NVR in its MQTT settings")
                + (frigateTopics.isEmpty ? "" : ", Frigate in its config.yml (mqtt.user/password)")
                + (homeAssistant == nil ? "." : ", Home Assistant in its MQTT integration."),
            "",
            "# facegate reads the locks' state (occupancy) and the cameras' motion, and commands the locks.",
            "user \(facegateUser)",
        ]
        lines += (lockStateTopics + motionTopics + frigateTopics).map { "topic read \($0)" }
        lines += lockSetTopics.map { "topic write \($0)" }
        if let homeAssistant {
            lines += [
                "# Home Assistant discovery: facegate announces its entities, keeps their states and its",
                "# availability (also its will), and reads Home Assistant's birth to announce them again.",
                "topic write \(homeAssistant.configFilter)",
                "topic write \(homeAssistant.stateRoot)/#",
                "topic read \(homeAssistant.statusTopic)",
            ]
        }
        lines += [
            "",
            "# zigbee2mqtt owns its base topic: device states (a keypad touch is one), bridge topics,",
            "# and the /set commands it obeys. Nobody else may write a lock's state.",
            "user \(zigbee2mqttUser)",
            "topic readwrite \(baseTopic)/#",
        ]
        if !motionTopics.isEmpty {
            lines += ["", "# The NVR raises the cameras' motion triggers.", "user \(motionUser)"]
            lines += motionTopics.map { "topic write \($0)" }
        }
        if !frigateTopics.isEmpty {
            lines += ["", "# Frigate publishes its events (a person seen is one) and everything else under its own tree.",
                      "user \(frigateUser)"]
            lines += frigateRoots.map { "topic readwrite \($0)/#" }
        }
        if let homeAssistant {
            lines += [
                "", "# Home Assistant reads the discovery configs and facegate's states, and announces its birth.",
                "# Whatever else it is given here, never a lock's /set topic (\(lockSetTopics.first ?? "\(baseTopic)/<lock>/set")):",
                "# with one it could open that door without facegate.",
                "user \(homeAssistantUser)",
                "topic read \(homeAssistant.discoveryPrefix)/#",
                "topic write \(homeAssistant.statusTopic)",
                "topic read \(homeAssistant.stateRoot)/#",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
