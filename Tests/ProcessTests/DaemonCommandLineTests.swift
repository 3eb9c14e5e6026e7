import Foundation
import TestSupport
import XCTest

/// The daemons' command lines (swift-argument-parser): every flag the shipped systemd units and
/// runit run scripts pass is one the daemon takes, `--help` says what each does, and a wrong
/// flag or value stops the daemon at once with a line naming it.
final class DaemonCommandLineTests: XCTestCase {
    let dir = TemporaryDirectory(prefix: "fgflags")

    /// Runs a daemon to its exit; its status and what it printed (stdout and stderr).
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32?, output: String) {
        let child = try ChildProcess(Paths.executable(executable), arguments, logDirectory: dir.url,
                                     name: "\(executable)-\(UUID().uuidString.prefix(8))")
        let status = child.waitForExit(timeout: 30)
        if status == nil { _ = child.terminate(grace: 1) }
        return (status, child.log)
    }

    /// `facegate-capture --config /etc/facegate/facegate.toml --camera %i` → ("facegate-capture", ["--config", "--camera"]).
    private func daemonFlags(in line: Substring) -> (String, [String])? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\"" })
        guard let index = words.firstIndex(where: { $0.hasSuffix("/facegate-broker") || $0.hasSuffix("/facegate-capture")
            || $0.hasSuffix("/facegate-recognizer") || $0.hasSuffix("/facegate-onvif") }) else { return nil }
        let executable = String(words[index].split(separator: "/").last!)
        return (executable, words[(index + 1)...].filter { $0.hasPrefix("--") }.map(String.init))
    }

    func testEveryFlagTheDeployFilesPassIsInTheDaemonsHelp() throws {
        let deploy = Paths.packageRoot.appendingPathComponent("deploy")
        var files = try FileManager.default.contentsOfDirectory(atPath: deploy.appendingPathComponent("systemd").path)
            .filter { $0.hasSuffix(".service") }.map { "systemd/\($0)" }
        files += ["runit/facegate-broker/run", "runit/facegate-capture-cam-a/run", "runit/facegate-recognizer-1/run",
                  "runit/facegate-onvif-cam-a/run"]
        var used: [String: Set<String>] = [:]
        for file in files {
            let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("ExecStart=") || line.hasPrefix("exec \"$@\"") {
                guard let (executable, flags) = daemonFlags(in: line) else { continue }
                XCTAssertFalse(flags.isEmpty, "\(file): \(line)")
                used[executable, default: []].formUnion(flags)
            }
        }
        XCTAssertEqual(used, ["facegate-broker": ["--config"], "facegate-capture": ["--config", "--camera"],
                              "facegate-recognizer": ["--config", "--name"], "facegate-onvif": ["--config", "--camera"]],
                       "the flags the deploy files pass")

        for (executable, flags) in used {
            let help = try run(executable, ["--help"])
            XCTAssertEqual(help.status, 0, help.output)
            XCTAssertTrue(help.output.contains("USAGE:"), help.output)
            for flag in flags {
                XCTAssertTrue(help.output.contains("\(flag) <"), "\(executable) --help does not list \(flag):\n\(help.output)")
            }
        }
    }

    func testHelpListsEveryOptionWithWhatItDoes() throws {
        let capture = try run("facegate-capture", ["--help"])
        XCTAssertEqual(capture.status, 0, capture.output)
        for text in ["--source <uri>", "rtsp://, v4l2://", "--socket <path>", "--control <path>", "--fps <n>", "--max-width <n>",
                     "--gray", "--watchdog-seconds <s>", "--max-frame-bytes <n>", "SIGTERM"] {
            XCTAssertTrue(capture.output.contains(text), "missing \(text):\n\(capture.output)")
        }
        let recognizer = try run("facegate-recognizer", ["-h"])
        XCTAssertEqual(recognizer.status, 0, recognizer.output)
        for text in ["--models <dir>", "--detector <hog|mmod>", "--upsample <n>", "--landmarks <5|68>", "--max-detect-width <n>",
                     "--threads <n>", "--heartbeat-seconds <s>", "(default: recognizer)"] {
            XCTAssertTrue(recognizer.output.contains(text), "missing \(text):\n\(recognizer.output)")
        }
        let broker = try run("facegate-broker", ["--help"])
        XCTAssertEqual(broker.status, 0, broker.output)
        XCTAssertTrue(broker.output.contains("--config <file>"), broker.output)
    }

    /// Exit 2 for the capture and the recognizer, 64 for the broker: what each exited with on a
    /// bad command line before the move to swift-argument-parser.
    func testWrongFlagsAndValuesStopTheDaemonNamingThem() throws {
        let cases: [(String, [String], Int32, String)] = [
            ("facegate-capture", ["--confg", "x.toml", "--camera", "a"], 2, "--confg"),
            ("facegate-capture", ["--camera", "a", "--source", "test://", "--socket", "s", "--fps", "0"], 2,
             "--fps 0: expected a positive number"),
            ("facegate-capture", ["--camera", "a", "--source", "test://", "--socket", "s", "--max-width", "8"], 2,
             "--max-width 8: expected at least 16"),
            ("facegate-capture", ["--camera", "a", "--source", "test://"], 2, "missing --socket (or --config)"),
            ("facegate-capture", ["--source", "test://", "--socket", "s"], 2, "--camera"),
            ("facegate-capture", ["--camera", "a", "--source", "gopher://x", "--socket", "s"], 2, "gopher"),
            ("facegate-capture", ["--config", dir.file("absent.toml").path, "--camera", "a"], 2, "absent.toml"),
            ("facegate-recognizer", ["--socket", "s", "--models", "m", "--upsample", "4"], 2, "--upsample 4: expected an integer in 0...3"),
            ("facegate-recognizer", ["--socket", "s", "--models", "m", "--detector", "cnn"], 2, "--detector cnn: expected hog or mmod"),
            ("facegate-recognizer", ["--socket", "s", "--models", "m", "--name", "a/b"], 2, "--name a/b"),
            ("facegate-recognizer", ["--socket", "s", "--models", "m", "--threads", "two"], 2, "two"),
            ("facegate-recognizer", ["--models", "m"], 2, "missing --socket (or --config)"),
            ("facegate-recognizer", ["--sokcet", "s", "--models", "m"], 2, "--sokcet"),
            ("facegate-capture", ["--camera", "a", "--source", "test://", "--socket", "s", "--metrics-listen", "192.0.2.1:9470"], 2,
             "--metrics-listen: 192.0.2.1:9470 is not a loopback address"),
            ("facegate-recognizer", ["--socket", "s", "--models", "m", "--metrics-listen", "127.0.0.1"], 2,
             "--metrics-listen: \"127.0.0.1\" is not host:port"),
            ("facegate-broker", [], 64, "--config"),
            ("facegate-broker", ["--config", "a.toml", "--verbose"], 64, "--verbose"),
        ]
        for (executable, arguments, expected, fragment) in cases {
            let result = try run(executable, arguments)
            let label = "\(executable) \(arguments.joined(separator: " "))"
            XCTAssertEqual(result.status, expected, "\(label):\n\(result.output)")
            XCTAssertTrue(result.output.contains(fragment), "\(label) does not name \(fragment):\n\(result.output)")
        }
    }

    /// facegate-onvif, like the capture, cannot start from a configuration without its camera's
    /// onvif table or password: exit 2 with a line naming what is missing.
    func testOnvifExitsTwoNamingWhatItsConfigurationLacks() throws {
        let config = dir.file("facegate.toml")
        try """
            [mqtt]
            username = "fg"
            [[locks]]
            id = "front"
            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["front"]
            onvif = { url = "http://127.0.0.1:9/onvif/device_service", username = "facegate", password_file = "absent.secret" }
            [[cameras]]
            id = "cam-b"
            source = "test:"
            locks = ["front"]

            """.write(to: config, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--config", dir.file("absent.toml").path, "--camera", "cam-a"], "absent.toml"),
            (["--config", config.path, "--camera", "cam-z"], #"no [[cameras]] entry with id "cam-z" (cameras: cam-a, cam-b)"#),
            (["--config", config.path, "--camera", "cam-b"], #"camera "cam-b" has no onvif = { url, username, password_file } (its motion source: none)"#),
            (["--config", config.path, "--camera", "cam-a"], #"camera "cam-a": cannot read onvif.password_file "#),
            (["--config", config.path, "--camera", "cam-a", "--sokcet", "s"], "--sokcet"),
        ]
        for (arguments, fragment) in cases {
            let result = try run("facegate-onvif", arguments)
            let label = "facegate-onvif \(arguments.joined(separator: " "))"
            XCTAssertEqual(result.status, 2, "\(label):\n\(result.output)")
            XCTAssertTrue(result.output.contains(fragment), "\(label) does not name \(fragment):\n\(result.output)")
        }
    }

    /// A configuration error is not a usage error for the broker: it logs why and exits 1.
    func testTheBrokerLogsAConfigurationItCannotRunFrom() throws {
        let result = try run("facegate-broker", ["--config", dir.file("absent.toml").path])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("msg=\"broker cannot run:"), result.output)
        XCTAssertTrue(result.output.contains("absent.toml"), result.output)
    }
}
