import ArgumentParser
import FacegateConfig
import Foundation

struct MQTTGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt",
        abstract: "Close the MQTT bus: the mosquitto ACL and users for this site.",
        subcommands: [MQTTACLCommand.self]
    )
}

struct MQTTACLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Print the mosquitto acl_file for the configured locks and cameras.",
        discussion: """
        Anyone who can publish on <base>/<lock> can fake a keypad touch, and anyone who can \
        publish on <base>/<lock>/set can open the door without facegate. The printed ACL lets \
        only zigbee2mqtt's user write the locks' state, only facegate's user (mqtt.username) \
        write their /set topics, only the NVR's user write the cameras' motion topics, and only \
        Frigate's user write under Frigate's topics (its events trigger cameras with frigate). \
        With [home_assistant] enabled, facegate's user also writes its discovery configs and \
        states and reads homeassistant/status, and Home Assistant's user reads them and writes \
        its birth there, nothing more. \
        Comment lines at the top give the mosquitto.conf settings and the mosquitto_passwd \
        commands that create the password file (no password is printed), so the output can be \
        saved as the acl_file as it is:

          facegate mqtt acl > /etc/mosquitto/facegate.acl
        """
    )

    @Option(name: .long, help: ArgumentHelp("zigbee2mqtt's MQTT user.", valueName: "name"))
    var zigbee2mqttUser = "zigbee2mqtt"

    @Option(name: .long, help: ArgumentHelp("The MQTT user that publishes camera motion (only with motion_topic).",
                                            valueName: "name"))
    var motionUser = "nvr"

    @Option(name: .long, help: ArgumentHelp("Frigate's MQTT user (only when a camera has a frigate trigger).",
                                            valueName: "name"))
    var frigateUser = "frigate"

    @Option(name: .long, help: ArgumentHelp("Home Assistant's MQTT user (only with [home_assistant] enabled).",
                                            valueName: "name"))
    var homeAssistantUser = "homeassistant"

    @Option(name: .long, help: ArgumentHelp("The mosquitto password file the printed commands create.", valueName: "path"))
    var passwordFile = "/etc/mosquitto/facegate.passwd"

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = try options.load()
        do {
            let acl = try MosquittoACL(configuration: configuration, zigbee2mqttUser: zigbee2mqttUser, motionUser: motionUser,
                                       frigateUser: frigateUser, homeAssistantUser: homeAssistantUser)
            print(acl.text(source: options.path, passwordFile: passwordFile), terminator: "")
        } catch let problem as MosquittoACL.Problem {
            throw AdminError.mqttACL("\(options.path): \(problem)")
        }
    }
}
