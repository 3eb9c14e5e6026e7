import ArgumentParser
import FacegateConfig
import Foundation
import OnvifEvents
import ProcessSupport

/// facegate-onvif's command line. The flag names are those the systemd unit, the runit run
/// script and the tests use; keep them.
struct OnvifCommand: DaemonCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-onvif",
        abstract: "Follow one camera's ONVIF PullPoint events and report its motion on and off to the broker.",
        discussion: """
        The camera's [[cameras]] entry must have onvif = { url, username, password_file }. The \
        broker's motion socket is <runtime.sockets_dir>/motion.sock unless --socket names another.

        Runs until SIGTERM or SIGINT. Exits 2 for a bad command line or configuration (a missing \
        camera, no onvif table, an unreadable password file).
        """)

    @Option(help: ArgumentHelp("facegate TOML file: the camera's [[cameras]] entry and [runtime].", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("Which camera to follow (its [[cameras]] id).", valueName: "id"))
    var camera: String

    @Option(help: ArgumentHelp("The broker's motion socket.", valueName: "path"))
    var socket: String?

    func validate() throws {
        if camera.isEmpty { throw ValidationError("--camera: must not be empty") }
    }

    /// The camera's `onvif` table, its password and the socket, or an error naming what is missing.
    func options() throws -> OnvifProcess.Options {
        let configuration: FacegateConfiguration
        do {
            configuration = try FacegateConfiguration.load(path: config)
        } catch {
            throw OnvifOptionsError("\(error)")
        }
        guard let entry = configuration.camera(id: camera) else {
            let known = configuration.cameras.map(\.id).joined(separator: ", ")
            throw OnvifOptionsError("\(config): no [[cameras]] entry with id \"\(camera)\" (cameras: \(known.isEmpty ? "none" : known))")
        }
        guard let onvif = entry.onvif, let url = URL(string: onvif.url) else {
            throw OnvifOptionsError("\(config): camera \"\(camera)\" has no onvif = { url, username, password_file } "
                + "(its motion source: \(entry.motionSource ?? "none"))")
        }
        let password: String
        do {
            password = try String(contentsOfFile: onvif.passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        } catch {
            throw OnvifOptionsError("camera \"\(camera)\": cannot read onvif.password_file \(onvif.passwordFile): \(error.localizedDescription)")
        }
        var rules = MotionRule.standard
        for (topic, item) in onvif.topics.sorted(by: { $0.key < $1.key }) {
            if let parsed = EventTopic(configured: topic) { rules.append(MotionRule(topic: parsed, item: item)) }
        }
        let settings = CameraSession.Settings(deviceURL: url, username: onvif.username, password: password,
                                              pullTimeout: onvif.pullTimeout, subscriptionSeconds: onvif.subscriptionSeconds,
                                              requestTimeout: onvif.requestTimeout, maxResponseBytes: onvif.maxResponseBytes)
        return OnvifProcess.Options(cameraID: camera, settings: settings, rules: rules,
                                    brokerSocket: socket ?? "\(configuration.runtime.socketsDirectory)/motion.sock")
    }

    static func runDaemon(_ options: OnvifProcess.Options) -> Int32 { OnvifProcess(options: options).run() }
}

struct OnvifOptionsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
