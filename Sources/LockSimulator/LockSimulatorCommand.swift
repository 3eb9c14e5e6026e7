import ArgumentParser
import FacegateConfig
import Foundation
import MQTTClient
import ProcessSupport

struct LockSimulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-locksim",
        abstract: "Simulates zigbee2mqtt keypad locks (MTR001DC-like) on an MQTT broker.",
        discussion: """
            Each lock reports {"occupancy":true} on <base>/<lock> when touched and {"occupancy":false} \
            --occupancy-seconds later (a new touch restarts the hold). It obeys <base>/<lock>/set \
            {"state":"UNLOCK"|"LOCK"|"TOGGLE"} and records every command it receives.

            Commands (script lines are "@SECONDS command"; control lines are just the command):
              touch LOCK            occupancy true now, false after the hold time
              release LOCK          occupancy false now (cancels the pending one)
              lose-false LOCK       the pending false is never sent
              send LOCK PAYLOAD     publish PAYLOAD as-is on the lock's topic
              publish TOPIC PAYLOAD publish PAYLOAD on any topic (e.g. camera motion)
              dead LOCK             the lock obeys commands but never reports its state
              lose LOCK             the lock loses commands (neither obeyed nor reported)
              heal LOCK             back to obeying and reporting
              quit                  exit

            Time: real seconds = scenario seconds × --time-scale (0.1 runs ten times faster). \
            Script times count from the moment the simulator is connected and subscribed \
            (it logs msg=ready then).
            """)

    @Option(help: "facegate TOML file: MQTT settings and lock friendly names are taken from it.")
    var config: String?

    @Option(help: "MQTT broker host (default 127.0.0.1, or the config's).")
    var host: String?

    @Option(help: "MQTT broker port (default 1883, or the config's).")
    var port: Int?

    @Option(help: "MQTT username.")
    var username: String?

    @Option(help: "File holding the MQTT password (first line).")
    var passwordFile: String?

    @Option(help: "MQTT password (prefer --password-file).")
    var password: String?

    @Option(help: "zigbee2mqtt base topic (default zigbee2mqtt, or the config's).")
    var baseTopic: String?

    @Option(help: "MQTT client id (default facegate-locksim-<pid>).")
    var clientID: String?

    @Option(name: .customLong("lock"), help: "A lock to simulate, by friendly name (or config id). Repeatable; default: every lock in --config.")
    var locks: [String] = []

    @Option(help: "Scenario seconds between a touch and its occupancy:false.")
    var occupancySeconds: Double = 10

    @Option(help: "Real seconds per scenario second (0.1 compresses the clock tenfold).")
    var timeScale: Double = 1

    @Option(help: "Script file of \"@SECONDS command\" lines.")
    var script: String?

    @Option(help: "Append every received command and published report to FILE as JSON lines.")
    var record: String?

    @Option(help: "Read commands from a FIFO (created if missing) or - for standard input.")
    var control: String?

    @Option(help: "QoS of the occupancy reports.")
    var qos: Int = 0

    @Flag(help: "Publish occupancy reports with the retain flag (zigbee2mqtt's retain option).")
    var retain = false

    @Flag(inversion: .prefixedNo,
          help: "After each /set (and each relock), publish {\"state\":...,\"lock_state\":...} on the lock's topic, as zigbee2mqtt does.")
    var reportState = true

    @Option(help: "Scenario seconds after which an unlocked bolt locks itself again (0: never).")
    var relockSeconds: Double = 0

    func validate() throws {
        guard timeScale > 0, timeScale.isFinite else { throw ValidationError("--time-scale must be positive") }
        guard occupancySeconds > 0 else { throw ValidationError("--occupancy-seconds must be positive") }
        guard (0...2).contains(qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
        guard relockSeconds >= 0, relockSeconds.isFinite else { throw ValidationError("--relock-seconds must be 0 or more") }
        if password != nil && passwordFile != nil { throw ValidationError("give --password or --password-file, not both") }
    }

    func run() throws {
        SignalWatcher.ignoreSIGPIPE()
        let log = Log(component: "locksim")
        let settingsFile = try config.map { try FacegateConfiguration.load(path: $0) }
        var mqtt = settingsFile?.mqtt ?? MQTTSettings()
        // Never the broker's id from the config: two clients with one id knock each other off.
        mqtt.clientID = "facegate-locksim-\(getpid())"
        if let host { mqtt.host = host }
        if let port { mqtt.port = port }
        if let username { mqtt.username = username }
        if let password { mqtt.password = password }
        if let passwordFile {
            mqtt.password = try String(contentsOfFile: passwordFile, encoding: .utf8).components(separatedBy: .newlines).first ?? ""
        }
        if let baseTopic { mqtt.baseTopic = baseTopic }
        if let clientID { mqtt.clientID = clientID }

        // Lock name → friendly name. Config ids and friendly names both work as names.
        var lockTopics: [String: String] = [:]
        let configured = settingsFile?.locks ?? []
        for name in locks.isEmpty ? configured.map(\.id) : locks {
            let lock = configured.first { $0.id == name || $0.friendlyName == name }
            lockTopics[name] = lock?.friendlyName ?? name
        }
        guard !lockTopics.isEmpty else { throw ValidationError("no locks: give --lock NAME (repeatable) or --config FILE") }
        let steps = try script.map { path in
            do {
                return try SimulatorScript(text: String(contentsOfFile: path, encoding: .utf8))
            } catch let error as SimulatorCommandError {
                throw ValidationError("script \(path):\n\(error)")
            }
        }

        let stop = StopFlag()
        stop.stopOnTerminationSignals(log: log)
        let recorder = try CommandRecorder(path: record)
        let connectionBox = ConnectionBox()
        let locksSettings = SimulatedLocks.Settings(baseTopic: mqtt.baseTopic, locks: lockTopics, holdSeconds: occupancySeconds,
                                                    timeScale: timeScale, retain: retain, qos: qos, reportState: reportState,
                                                    relockSeconds: relockSeconds > 0 ? relockSeconds : nil)
        let simulator = SimulatedLocks(settings: locksSettings, recorder: recorder, log: log,
                                       publish: { topic, payload, retain, qos in
                                           connectionBox.connection?.publish(topic: topic, text: payload, qos: qos, retain: retain) ?? false
                                       },
                                       onQuit: { stop.stop() })
        let options = MQTTOptions(host: mqtt.host, port: mqtt.port, clientID: mqtt.clientID, username: mqtt.username,
                                  password: mqtt.password, tlsCAFile: mqtt.tlsCAFile, tlsCertFile: mqtt.tlsCertFile,
                                  tlsKeyFile: mqtt.tlsKeyFile, tlsInsecure: mqtt.tlsInsecure, keepalive: mqtt.keepalive,
                                  reconnectDelayMin: min(mqtt.reconnectDelayMin, 0.2), reconnectDelayMax: min(mqtt.reconnectDelayMax, 2),
                                  maxPayloadBytes: mqtt.maxPayloadBytes)
        let connection = try MQTTConnection(options: options, log: Log(component: "locksim-mqtt")) { event in
            switch event {
            case .subscribed: simulator.start(script: steps)
            case let .message(message): simulator.receive(message)
            case .connected, .connectFailed, .disconnected: break
            }
        }
        connectionBox.connection = connection
        // QoS 2 subscription: each command arrives with the QoS its sender used, so the
        // record shows it, and nothing on our side adds duplicates.
        for topic in simulator.setTopics { connection.subscribe(topic, qos: 2) }

        if let control {
            let channel = try ControlChannel(path: control, log: log)
            channel.start(handler: { line in
                do {
                    if let command = try SimulatorCommand.parse(line) { simulator.perform(command) }
                } catch {
                    log.error("bad control command ignored", ["line": line, "error": "\(error)"])
                }
            }, onEnd: { if control == "-" { stop.stop() } })
        }

        connection.start()
        stop.waitForever()
        simulator.drain()
        connection.stop()
        log.info("stopped")
    }
}

/// The connection is created after the simulator that publishes through it.
final class ConnectionBox: Sendable {
    private let value = Locked<MQTTConnection?>(nil)
    var connection: MQTTConnection? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
