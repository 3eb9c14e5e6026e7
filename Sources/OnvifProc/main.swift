// facegate-onvif --config FILE --camera ID [--socket PATH]: one camera's ONVIF motion events to the broker.
import FacegateConfig
import Foundation
import OnvifEvents
import ProcessSupport

let usage = """
usage: facegate-onvif --config FILE --camera ID [--socket PATH]

Subscribes to the camera's ONVIF PullPoint events (the [[cameras]] entry's onvif = {...})
and reports its motion on and off to the broker's motion socket.

  --config FILE   facegate TOML file
  --camera ID     which camera (its entry must have onvif = { url, username, password_file })
  --socket PATH   the broker's motion socket (default: <runtime.sockets_dir>/motion.sock)
"""

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("facegate-onvif: \(message)\n".utf8))
    exit(status)
}

func makeOptions() -> OnvifProcess.Options {
    var flags: CommandLineFlags
    do {
        flags = try CommandLineFlags(Array(CommandLine.arguments.dropFirst()))
        if flags.bool("--help") || flags.bool("-h") { print(usage); exit(0) }
        guard let path = try flags.value("--config") else { throw CommandLineFlags.Problem.missing("--config") }
        guard let cameraID = try flags.value("--camera") else { throw CommandLineFlags.Problem.missing("--camera") }
        let socket = try flags.value("--socket")
        try flags.rejectLeftovers()
        let configuration: FacegateConfiguration
        do {
            configuration = try FacegateConfiguration.load(path: path)
        } catch {
            fail("\(error)", status: 1)
        }
        guard let camera = configuration.camera(id: cameraID) else {
            fail("\(path): no [[cameras]] entry with id \"\(cameraID)\" (cameras: \(configuration.cameras.map(\.id).joined(separator: ", ")))", status: 1)
        }
        guard let onvif = camera.onvif, let url = URL(string: onvif.url) else {
            fail("\(path): camera \"\(cameraID)\" has no onvif = { url, username, password_file } (its motion source: \(camera.motionSource ?? "none"))", status: 1)
        }
        let password: String
        do {
            password = try String(contentsOfFile: onvif.passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        } catch {
            fail("camera \"\(cameraID)\": cannot read onvif.password_file \(onvif.passwordFile): \(error.localizedDescription)", status: 1)
        }
        var rules = MotionRule.standard
        for (topic, item) in onvif.topics.sorted(by: { $0.key < $1.key }) {
            if let parsed = EventTopic(configured: topic) { rules.append(MotionRule(topic: parsed, item: item)) }
        }
        let settings = CameraSession.Settings(deviceURL: url, username: onvif.username, password: password,
                                              pullTimeout: onvif.pullTimeout, subscriptionSeconds: onvif.subscriptionSeconds,
                                              requestTimeout: onvif.requestTimeout, maxResponseBytes: onvif.maxResponseBytes)
        return OnvifProcess.Options(cameraID: cameraID, settings: settings, rules: rules,
                                    brokerSocket: socket ?? "\(configuration.runtime.socketsDirectory)/motion.sock")
    } catch {
        fail("\(error)\n\n\(usage)", status: 2)
    }
}

exit(OnvifProcess(options: makeOptions()).run())
