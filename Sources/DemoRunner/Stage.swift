import Foundation
import ProcessSupport
import TestSupport

/// The processes the story is played on, started and ready: mosquitto on a free loopback
/// port, the keypad lock simulator, the broker, the tap and one recognizer, with the member
/// enrolled and granted both locks. Each is added to the roster as it starts, so a failure
/// half-way still stops what was started.
struct Stage {
    let locks: LockSimProcess
    let broker: ChildProcess
    let recognizer: ChildProcess
    let tapOutput: URL
    /// Unix sockets need short paths (107 bytes): they live under /tmp, not in the state directory.
    let runDirectory: TemporaryDirectory

    static func setUp(_ settings: DemoSettings, photos: SamplePhotos, roster: ProcessRoster,
                      interrupt: StopFlag) throws -> Stage {
        let logs = URL(fileURLWithPath: settings.logsDirectory)
        let run = TemporaryDirectory(prefix: "fgdemo")
        let config = settings.configPath
        let ready = Readiness(interrupt: interrupt)

        // Throwaway passwords for a loopback bus that lives as long as the demo.
        // `intruder` is a login the ACL grants nothing: the spoof before the story uses it.
        let users = ["facegate": UUID().uuidString, "zigbee2mqtt": UUID().uuidString, SpoofAttempt.user: UUID().uuidString]
        let passwordFile = run.file("mqtt-password")
        try (users["facegate"]! + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        let webPort = freeLoopbackPort()
        try DemoConfigFile.text(socketsDirectory: run.file("sockets").path, database: settings.database,
                                mqttPort: port, modelsDirectory: settings.modelsDirectory, scale: settings.scale,
                                passwordFile: passwordFile.path, dc001Liveness: settings.dc001Liveness, webPort: webPort)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let check = try ToolRunner.run(settings.executable("facegate"), ["config", "check", config])
        Console.say("  config: \(check.trimmingCharacters(in: .whitespacesAndNewlines))")
        let acl = try ToolRunner.run(settings.executable("facegate"), ["mqtt", "acl", "--config", config])

        let mosquitto = try MosquittoServer(users: users, acl: acl, port: port)
        roster.add("mosquitto", mosquitto.process!) {
            try? mosquitto.log.write(to: logs.appendingPathComponent("mosquitto.log"), atomically: true, encoding: .utf8)
        }
        Console.say("  mosquitto listens on 127.0.0.1:\(port): logins only, ACL from `facegate mqtt acl` "
                    + "(only zigbee2mqtt reports touches, only facegate commands locks)")

        let locks = try LockSimProcess(server: mosquitto, locks: ["DC001", "DC006"], occupancySeconds: 10,
                                       timeScale: settings.scale, directory: logs, name: "locksim", waitUntilReady: false,
                                       username: "zigbee2mqtt")
        roster.add("lock simulator", locks.child) { _ = locks }
        try ready.wait(for: locks.child, "facegate-locksim", "msg=ready")
        Console.say("  lock simulator: keypad locks DC001 and DC006 (occupancy:true on a touch, false 10 s later; obey /set)")

        let broker = try ChildProcess(settings.executableURL("facegate-broker"), ["--config", config],
                                      logDirectory: logs, name: "broker")
        roster.add("broker", broker)
        try ready.wait(for: broker, "facegate-broker", "msg=\"broker ready\"")
        try ready.wait(for: broker, "facegate-broker", "msg=\"mqtt subscriptions active\"")
        Console.say("  broker: ready, subscribed to zigbee2mqtt/DC001 and zigbee2mqtt/DC006")

        // The tap: a copy of every detect (frame + txn + snapshot) and result crossing the broker.
        let tap = try ChildProcess(settings.executableURL("facegate-tap"),
                                   ["attach", run.file("sockets/broker.ctl").path, "--kind", "detect,result,error"],
                                   logDirectory: logs, name: "tap")
        roster.add("tap", tap)

        let recognizer = try ChildProcess(settings.executableURL("facegate-recognizer"), ["--config", config, "--name", "1"],
                                          logDirectory: logs, name: "recognizer")
        roster.add("recognizer", recognizer)
        try ready.wait(for: recognizer, "facegate-recognizer", "msg=\"connected to broker\"")
        Console.say("  recognizer 1: dlib models loaded, connected to the broker")

        // The console, with an account for this demo only (its password on stdin).
        let webPassword = UUID().uuidString
        try ToolRunner.run(settings.executable("facegate"), ["users", "add", "demo", "--role", "admin", "--config", config],
                           input: webPassword + "\n")
        let web = try ChildProcess(settings.executableURL("facegate-web"), ["--config", config], logDirectory: logs, name: "web")
        roster.add("web console", web)
        try ready.wait(for: web, "facegate-web", "msg=listening")
        Console.say("  web console: http://127.0.0.1:\(webPort)/ (user demo, password \(webPassword))")

        try SpoofAttempt.play(mosquitto: mosquitto, broker: broker, locks: locks, scale: settings.scale)
        Console.say()
        Console.say("== Enrolling")

        try enroll(photos, settings)
        try ready.wait(for: broker, "facegate-broker", "members=1")
        Console.say("  broker: gallery reloaded without a restart (1 member)")
        return Stage(locks: locks, broker: broker, recognizer: recognizer, tapOutput: tap.logURL, runDirectory: run)
    }

    /// `facegate faces enroll` and `facegate grants add`, as an operator would type them.
    private static func enroll(_ photos: SamplePhotos, _ settings: DemoSettings) throws {
        let facegate = settings.executable("facegate")
        let config = ["--config", settings.configPath]
        var enroll = ["faces", "enroll", photos.member, photos.enrollPhoto, "--create"]
        if photos.isAstronaut {
            try ToolRunner.run(facegate, ["members", "add", photos.member] + config)
            let check = try ToolRunner.run(facegate, ["faces", "check", photos.enrollPhoto, "--json"] + config)
            let face = try AstronautPhoto.bestFace(checkJSON: check, photo: photos.enrollPhoto)
            enroll += ["--face", String(face.index)]
            try AstronautPhoto.makeCameraPhoto(from: photos.enrollPhoto, face: face.box, to: photos.cameraPhoto)
        }
        Console.say("  enroll: facegate \(enroll.map(Console.shown).joined(separator: " "))")
        for line in try ToolRunner.run(facegate, enroll + config).split(separator: "\n") {
            Console.say("          \(line)")
        }
        for lock in ["DC001", "DC006"] {
            for line in try ToolRunner.run(facegate, ["grants", "add", photos.member, lock] + config).split(separator: "\n") {
                Console.say("  grants: \(line)")
            }
        }
    }
}

/// Waits for a process to log that it is ready; gives up when it exits, after a timeout, or
/// when the demo is interrupted.
struct Readiness {
    let interrupt: StopFlag

    func wait(for child: ChildProcess, _ name: String, _ text: String, timeout: Double = 60) throws {
        waitUntil(timeout: timeout, interval: 0.1) { interrupt.isStopped || !child.isRunning || child.log.contains(text) }
        if child.log.contains(text) { return }
        if interrupt.isStopped { throw DemoError.interrupted }
        let tail = child.log.split(separator: "\n").suffix(20).joined(separator: "\n")
        if !child.isRunning {
            child.process.waitUntilExit()
            throw DemoError.exitedEarly(process: name, waitedFor: text, status: child.process.terminationStatus, logTail: tail)
        }
        throw DemoError.notReady(process: name, waitedFor: text, seconds: timeout, logTail: tail)
    }
}
