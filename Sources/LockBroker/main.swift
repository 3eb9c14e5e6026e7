import FacegateConfig
import Foundation
import ProcessSupport

// facegate-broker --config FILE
SignalWatcher.ignoreSIGPIPE()
let log = Log(component: "broker")
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2, arguments[0] == "--config" else {
    FileHandle.standardError.write(Data("usage: facegate-broker --config FILE\n".utf8))
    exit(64)
}
do {
    let config = try FacegateConfiguration.load(path: arguments[1], requireMQTTLogin: true)
    if config.mqtt.allowAnonymous {
        log.warning("mqtt.allow_anonymous = true: connecting without a login; anyone who can publish on this bus can fake a keypad touch or unlock a door",
                    ["host": config.mqtt.host, "port": config.mqtt.port])
    }
    let service = try BrokerService(config: config, log: log)
    // A stop that left audit rows unwritten is not a clean exit: say so to the supervisor.
    if try !service.run() { exit(1) }
} catch {
    log.error("broker cannot run: \(error)")
    exit(1)
}
