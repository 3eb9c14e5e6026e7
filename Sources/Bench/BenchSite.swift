import Foundation
import TestSupport

/// The site both process benchmarks run: a real mosquitto on loopback, one lock DC001 seen by
/// camera cam-a, a temporary config, database and sockets directory, and the real broker.
final class BenchSite {
    let dir = TemporaryDirectory(prefix: "fgbench")
    let mosquitto: MosquittoServer
    let config: URL
    var socketsDirectory: String { dir.file("run").path }
    private var processes: [ChildProcess] = []

    /// `camera`: the [[cameras]] keys besides id and locks; `lock`: more keys of DC001 (its
    /// policy); `extra`: further sections.
    convenience init(camera: String, lock: String = "", extra: String = "", maxDecisionAge: Double) throws {
        try self.init(doors: """
                      [[locks]]
                      id = "DC001"
                      occupancy_max = 600
                      # The bench touches every second or so: no interval between unlocks, no flood guard.
                      min_unlock_interval = 0
                      trigger_burst = 0
                      \(lock)
                      [[cameras]]
                      id = "cam-a"
                      locks = ["DC001"]
                      \(camera)
                      """, extra: extra, maxDecisionAge: maxDecisionAge)
    }

    /// `doors`: every [[locks]] and [[cameras]] entry, as TOML.
    init(doors: String, extra: String = "", maxDecisionAge: Double) throws {
        mosquitto = try MosquittoServer(users: ["facegate": "facegate-secret"])
        config = dir.file("facegate.toml")
        try """
        [runtime]
        sockets_dir = "\(dir.file("run").path)"
        database = "\(dir.file("fg.sqlite").path)"
        [mqtt]
        host = "127.0.0.1"
        port = \(mosquitto.port)
        username = "facegate"
        password = "facegate-secret"
        \(doors)
        \(extra)
        [decision]
        max_decision_age = \(maxDecisionAge)
        """.write(to: config, atomically: true, encoding: .utf8)
    }

    /// Starts a facegate executable with this site's config; stopped (SIGTERM) with the site.
    @discardableResult
    func start(_ executable: String, _ arguments: [String] = [], name: String) throws -> ChildProcess {
        let process = try ChildProcess(Paths.executable(executable), ["--config", config.path] + arguments,
                                       environment: ["FACEGATE_LOG_LEVEL": "warn"], logDirectory: dir.url, name: name)
        processes.append(process)
        return process
    }

    /// Starts the broker and waits until its control socket answers to its path.
    @discardableResult
    func startBroker() throws -> ChildProcess {
        let broker = try start("facegate-broker", name: "broker")
        guard waitUntil(timeout: 30, { FileManager.default.fileExists(atPath: socketsDirectory + "/broker.ctl") }) else {
            throw BenchError.failed("broker did not start: \(broker.log)")
        }
        return broker
    }

    /// Runs the admin CLI to completion.
    func admin(_ arguments: [String]) throws {
        let process = try ChildProcess(Paths.executable("facegate"), arguments + ["--config", config.path],
                                       environment: ["FACEGATE_LOG_LEVEL": "warn"], logDirectory: dir.url, name: "admin")
        guard process.waitForExit(timeout: 120) == 0 else {
            throw BenchError.failed("facegate \(arguments.joined(separator: " ")): \(process.log)")
        }
    }

    deinit { processes.reversed().forEach { $0.terminate() } }
}
