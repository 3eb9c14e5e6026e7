import ArgumentParser
import FacegateConfig
import Foundation
import ProcessSupport

/// facegate-broker's command line: the configuration file, nothing else (everything the
/// broker does is in it, so a unit file and `facegate config check` see the same thing).
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-broker",
        abstract: "The only facegate process with state: occupancy from MQTT, snapshots at capture time, decisions, unlocks, audit.",
        discussion: """
        Serves <runtime.sockets_dir>/capture.sock, recognizer.sock and broker.ctl (tap and \
        `facegate status`), subscribes to the configured locks' and cameras' MQTT topics, and \
        writes every decision to the database. Check the file first with \
        `facegate config check FILE`.

        Runs until SIGTERM or SIGINT. Exits 64 for a bad command line, 1 when it cannot run \
        (configuration, database, sockets directory: the log line says which).
        """)

    @Option(help: ArgumentHelp("facegate TOML file (e.g. /etc/facegate/facegate.toml).", valueName: "file"))
    var config: String

    func run() throws {
        SignalWatcher.ignoreSIGPIPE()
        let log = Log(component: "broker")
        do {
            let config = try FacegateConfiguration.load(path: config, requireMQTTLogin: true)
            if config.mqtt.allowAnonymous {
                log.warning("mqtt.allow_anonymous = true: connecting without a login; anyone who can publish on this bus can fake a keypad touch or unlock a door",
                            ["host": config.mqtt.host, "port": config.mqtt.port])
            }
            let service = try BrokerService(config: config, log: log)
            // A stop that left audit rows unwritten is not a clean exit: say so to the supervisor.
            if try !service.run() { throw ExitCode.failure }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            log.error("broker cannot run: \(error)")
            throw ExitCode.failure
        }
    }
}

Log.bootstrap()
BrokerCommand.main()
