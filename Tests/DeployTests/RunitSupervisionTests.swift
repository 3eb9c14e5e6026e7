import Foundation
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// deploy/runit as shipped, supervised by Debian's runsvdir on a temporary directory, running
/// the real broker, recognizer and capture (on a photo of obama) against a real mosquitto.
/// Each process in turn is SIGKILLed; runsv must start it again and the whole pipeline must
/// work again: a new touch of DC006 while obama is in front of the camera unlocks DC006 once more.
final class RunitSupervisionTests: XCTestCase {
    func testEachKilledProcessIsRestartedAndThePipelineResumes() throws {
        // Each step needs the one before: stop at the first failure instead of waiting out every timeout.
        continueAfterFailure = false
        let tree = try RunitTree()
        addTeardownBlock { tree.stop() }
        let unlocks = try MosquittoSubscriber(server: tree.mosquitto, topic: "zigbee2mqtt/+/set")

        let first = try tree.waitForPipeline()
        XCTAssertTrue(first.connected && first.captureLinked, "\(first)\n\(tree.dump())")
        let mode = try FileManager.default.attributesOfItem(atPath: tree.socketsDirectory)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o750, "the run scripts make the sockets directory 0750")
        tree.note("pipeline up: \(first)")
        try touchAndExpectUnlock(number: 1, tree: tree, unlocks: unlocks)
        tree.note("unlock 1")

        // The console: serving, and served again by a new process after SIGKILL. HTTP/1.1 with
        // `Connection: close`: facegate-web keeps an HTTP/1.0 connection open, so each 1.0
        // request waited out its 5 s read timeout (15 s of this test, and near the 30 s limit
        // on a loaded machine).
        XCTAssertTrue(waitUntil(timeout: 30) { (try? httpRequest(port: tree.webPort, target: "/health", http11: true))?.status == 200 },
                      "facegate-web does not answer /health\n\(tree.dump())")
        let web = try XCTUnwrap(tree.runningPID("facegate-web"), "facegate-web is not running\n\(tree.dump())")
        XCTAssertEqual(kill(web, SIGKILL), 0)
        XCTAssertTrue(waitUntil(timeout: 30, interval: 0.1) {
            guard let fresh = tree.runningPID("facegate-web"), fresh != web else { return false }
            return (try? httpRequest(port: tree.webPort, target: "/health", http11: true))?.status == 200
        }, "runsv did not start facegate-web again after SIGKILL of pid \(web)\n\(tree.dump())")
        XCTAssertEqual(try httpRequest(port: tree.webPort, target: "/members", http11: true).status, 303, "nothing but /health without a login")
        tree.note("facegate-web restarted")

        for (index, service) in ["facegate-broker", "facegate-recognizer-1", "facegate-capture-cam-a"].enumerated() {
            let old = try XCTUnwrap(tree.runningPID(service), "\(service) is not running\n\(tree.dump())")
            XCTAssertEqual(kill(old, SIGKILL), 0)
            var fresh: pid_t?
            let restarted = waitUntil(timeout: 30, interval: 0.1) {
                fresh = tree.runningPID(service)
                return fresh != nil && fresh != old
            }
            XCTAssertTrue(restarted, "runsv did not start \(service) again after SIGKILL of pid \(old)\n\(tree.dump())")
            guard let fresh else { return }
            tree.note("\(service) killed (pid \(old)), running again as pid \(fresh)")

            // The restarted process is the one the others are talking to again.
            var status = PipelineStatus()
            let resumed = waitUntil(timeout: 60, interval: 0.25) {
                status = tree.pipelineStatus()
                guard status.connected else { return false }
                switch service {
                case "facegate-broker": return status.brokerPID == fresh
                case "facegate-recognizer-1": return status.recognizerPeers == ["recognizer:1 pid=\(fresh)"]
                default: return status.capturePID == fresh && status.captureLinked
                }
            }
            XCTAssertTrue(resumed, "after restarting \(service) (pid \(fresh)) the pipeline did not reconnect: \(status)\n\(tree.dump())")
            tree.note("pipeline reconnected: \(status)")
            try touchAndExpectUnlock(number: index + 2, tree: tree, unlocks: unlocks)
            tree.note("unlock \(index + 2)")
            XCTAssertTrue(waitUntil(timeout: 10) { tree.log(service).contains("finish: \(service) killed by signal 9") },
                          "finish did not log the kill of \(service)\n\(tree.dump())")
        }
        XCTAssertEqual(unlocks.messages(on: "zigbee2mqtt/DC001/set").count, 0, "DC001 was never touched")
        XCTAssertEqual(Set(unlocks.messages(on: "zigbee2mqtt/DC006/set").map(\.payload)), [#"{"state":"UNLOCK"}"#])

        // svlogd got every process's own lines, and the TERM runsv sends on removal ends each one cleanly.
        XCTAssertEqual(tree.log("facegate-broker").components(separatedBy: "msg=\"broker ready\"").count - 1, 2, tree.dump())
        tree.stop()
        for service in RunitTree.services {
            XCTAssertTrue(tree.log(service).contains("finish: \(service) exited with code 0"),
                          "\(service) did not exit cleanly on SIGTERM\n\(tree.dump())")
        }
    }

    /// Ends DC006's session (a no-op when the broker has none), touches it again, and waits
    /// for unlock number `number` on DC006's /set topic.
    private func touchAndExpectUnlock(number: Int, tree: RunitTree, unlocks: MosquittoSubscriber,
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        try tree.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":false}"#)
        try tree.mosquitto.publish(topic: "zigbee2mqtt/DC006", text: #"{"occupancy":true}"#)
        XCTAssertTrue(unlocks.waitForMessages(number, on: "zigbee2mqtt/DC006/set", timeout: 60),
                      "unlock \(number) of DC006 never came\n\(tree.dump())", file: file, line: line)
        XCTAssertEqual(unlocks.messages(on: "zigbee2mqtt/DC006/set").count, number,
                       "one touch, one unlock\n\(tree.dump())", file: file, line: line)
    }
}

/// What the broker's and the capture's status sockets say about who is connected.
struct PipelineStatus: CustomStringConvertible {
    var brokerPID: Int32?
    var cameraConnected = false
    var recognizerPeers: [String] = []
    var capturePID: Int32?
    var captureLinked = false

    var connected: Bool { brokerPID != nil && cameraConnected && recognizerPeers.count == 1 }

    var description: String {
        "broker pid \(brokerPID.map(String.init) ?? "-"), camera connected \(cameraConnected), recognizers \(recognizerPeers), "
            + "capture pid \(capturePID.map(String.init) ?? "-") linked \(captureLinked)"
    }
}

/// The deploy/runit services copied into a temporary directory with a facegate.env for this
/// test, run by `runsvdir`, plus the mosquitto, configuration and database they use.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class RunitTree: @unchecked Sendable {
    static let services = ["facegate-broker", "facegate-recognizer-1", "facegate-capture-cam-a", "facegate-web"]
    let webPort = freeLoopbackPort()

    let dir = TemporaryDirectory(prefix: "fgrs")
    let mosquitto: MosquittoServer
    let serviceDir: URL
    let configURL: URL
    private var runsvdir: ChildProcess?
    private let stopLock = NSLock()
    private let started = Date()

    /// A progress line with the seconds since the tree was set up (the test's own log).
    func note(_ text: String) {
        print(String(format: "[runit +%.1fs] ", Date().timeIntervalSince(started)) + text)
    }

    var socketsDirectory: String { dir.file("run").path }

    init() throws {
        // A login as the deploy guide requires (no ACL: the test publishes touches itself).
        mosquitto = try MosquittoServer(users: ["facegate": "facegate-secret"])
        serviceDir = dir.file("service")
        configURL = dir.file("facegate.toml")
        let config = """
        [runtime]
        sockets_dir = "\(socketsDirectory)"
        database = "\(dir.file("facegate.sqlite").path)"

        [mqtt]
        host = "127.0.0.1"
        port = \(mosquitto.port)
        client_id = "facegate-broker-runit"
        username = "facegate"
        password = "facegate-secret"
        reconnect_delay_min = 0.1
        reconnect_delay_max = 1

        [web]
        listen = "127.0.0.1:\(webPort)"

        [[locks]]
        id = "DC001"
        occupancy_max = 120

        [[locks]]
        id = "DC006"
        occupancy_max = 120

        [[cameras]]
        id = "cam-a"
        source = "image://\(Paths.face("obama2.jpg").path)?fps=2"
        fps = 2
        locks = ["DC001", "DC006"]

        [recognizer]
        models_dir = "\(Paths.modelsDirectory.path)"

        [decision]
        max_decision_age = 20
        txn_ttl = 60
        """
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        // Enrolled the way an operator does it.
        try RunitTree.run(Paths.executable("facegate"), ["faces", "enroll", "obama", Paths.face("obama.jpg").path,
                                                         "--create", "--config", configURL.path])
        try RunitTree.run(Paths.executable("facegate"), ["grants", "add", "obama", "DC006", "--config", configURL.path])

        let fm = FileManager.default
        try fm.createDirectory(at: serviceDir, withIntermediateDirectories: true)
        let shipped = Paths.packageRoot.appendingPathComponent("deploy/runit")
        for service in RunitTree.services {
            let target = serviceDir.appendingPathComponent(service)
            try fm.copyItem(at: shipped.appendingPathComponent(service), to: target)
            for script in ["run", "finish", "log/run"] {
                let path = target.appendingPathComponent(script).path
                XCTAssertTrue(fm.isExecutableFile(atPath: shipped.appendingPathComponent(service + "/" + script).path),
                              "deploy/runit/\(service)/\(script) must be executable")
                try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
        }
        // The shipped facegate.env with this test's values, as an operator would edit it.
        var env = try String(contentsOf: shipped.appendingPathComponent("facegate.env"), encoding: .utf8)
        for (key, value) in ["FACEGATE_CONFIG": configURL.path, "FACEGATE_BIN": Paths.productsDirectory.path,
                             "FACEGATE_SOCKETS_DIR": socketsDirectory, "FACEGATE_BROKER_USER": "", "FACEGATE_CAPTURE_USER": "",
                             "FACEGATE_RECOGNIZER_USER": "", "FACEGATE_GROUP": "", "FACEGATE_LOG_DIR": ""] {
            let lines = env.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertTrue(lines.contains { $0.hasPrefix("\(key)=") }, "deploy/runit/facegate.env lacks \(key)")
            env = lines.map { $0.hasPrefix("\(key)=") ? "\(key)=\(value)" : String($0) }.joined(separator: "\n")
        }
        try env.write(to: serviceDir.appendingPathComponent("facegate.env"), atomically: true, encoding: .utf8)

        runsvdir = try ChildProcess(URL(fileURLWithPath: "/usr/bin/runsvdir"), [serviceDir.path],
                                    logDirectory: dir.url, name: "runsvdir")
    }

    /// Waits until the broker has the camera and the recognizer connected, and the capture
    /// serves its own status socket (the run scripts made the sockets directory before any
    /// process started, so the capture need not wait for the broker to make it).
    func waitForPipeline(timeout: Double = 60) throws -> PipelineStatus {
        var status = PipelineStatus()
        waitUntil(timeout: timeout, interval: 0.25) {
            status = pipelineStatus()
            return status.connected && status.captureLinked
        }
        return status
    }

    func pipelineStatus() -> PipelineStatus {
        var status = PipelineStatus()
        if let broker = RunitTree.status(socket: "\(socketsDirectory)/broker.ctl", peer: .broker) {
            status.brokerPID = (broker["pid"] as? NSNumber)?.int32Value
            let cameras = broker["cameras"] as? [[String: Any]] ?? []
            status.cameraConnected = cameras.first { $0["id"] as? String == "cam-a" }?["connected"] as? Bool ?? false
            status.recognizerPeers = (broker["recognizers"] as? [[String: Any]] ?? []).compactMap { $0["peer"] as? String }
        }
        if let capture = RunitTree.status(socket: "\(socketsDirectory)/capture-cam-a.ctl", peer: .capture) {
            status.capturePID = (capture["pid"] as? NSNumber)?.int32Value
            status.captureLinked = capture["broker_connected"] as? Bool ?? false
        }
        return status
    }

    static func status(socket: String, peer: PeerRole) -> [String: Any]? {
        guard let connection = try? MessageConnection.connect(
            path: socket, hello: Hello(role: .admin, name: "deploy-test", pid: UInt32(getpid())), expecting: [peer])
        else { return nil }
        defer { connection.close() }
        guard (try? connection.send(.statusRequest)) != nil,
              case let .statusReply(reply)? = try? connection.receive() else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(reply.json.utf8))) as? [String: Any]
    }

    /// The pid of the service's process per `sv status`, once runsv reports it running and the
    /// run script has exec'd the facegate executable (not while ./finish runs).
    func runningPID(_ service: String) -> pid_t? {
        let dirPath = serviceDir.appendingPathComponent(service).path
        guard let output = try? RunitTree.run(URL(fileURLWithPath: "/usr/bin/sv"), ["status", dirPath]),
              output.hasPrefix("run: "),
              let open = output.range(of: "(pid "),
              let close = output[open.upperBound...].firstIndex(of: ")"),
              let pid = pid_t(output[open.upperBound..<close]) else { return nil }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        return comm.hasPrefix("facegate-") ? pid : nil
    }

    /// Where `stop()` moves the service directories.
    var parkedDir: URL { dir.file("stopped") }

    /// svlogd's current file of a service (before or after `stop()`).
    func log(_ service: String) -> String {
        for base in [serviceDir, parkedDir] {
            if let text = try? String(contentsOf: base.appendingPathComponent("\(service)/log/main/current"), encoding: .utf8) {
                return text
            }
        }
        return ""
    }

    func dump() -> String {
        var text = ""
        for service in RunitTree.services {
            text += "--- \(service) (svlogd) ---\n" + log(service).split(separator: "\n").suffix(40).joined(separator: "\n") + "\n"
        }
        return text + "--- runsvdir ---\n\(runsvdir?.log ?? "")"
    }

    /// Takes the services out of runsvdir's directory, as an operator removes a service:
    /// runsvdir's next scan (every 5 s) sends each runsv a TERM; runsv stops its service and
    /// log service, exits, and runsvdir reaps it. Then runsvdir gets a TERM. Whatever of this
    /// tree is still there after 30 s (only these processes, by pid) gets SIGKILL.
    /// (A SIGHUP to runsvdir would stop them too, but runsvdir exits at once and leaves its
    /// runsv children to an init that may never reap them.) Safe to call twice.
    func stop() {
        stopLock.lock(); defer { stopLock.unlock() }
        guard let runsvdir else { return }
        self.runsvdir = nil
        let runsvs = RunitTree.children(of: runsvdir.pid)
        let tree = runsvs + runsvs.flatMap(RunitTree.children(of:))
        try? FileManager.default.createDirectory(at: parkedDir, withIntermediateDirectories: true)
        for service in RunitTree.services {
            try? FileManager.default.moveItem(at: serviceDir.appendingPathComponent(service),
                                              to: parkedDir.appendingPathComponent(service))
        }
        let gone = waitUntil(timeout: 30, interval: 0.1) {
            RunitTree.children(of: runsvdir.pid).isEmpty && tree.allSatisfy { !RunitTree.isAlive($0) }
        }
        runsvdir.terminate(grace: 5)
        if !gone {
            for pid in tree where RunitTree.isAlive(pid) { kill(pid, SIGKILL) }
        }
    }

    deinit { stop() }

    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let end = stat.range(of: ") ", options: .backwards) else { return false }
            let fields = stat[end.upperBound...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent
        }
    }

    /// Alive and not a zombie (an orphan's zombie may linger until its new parent reaps it).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.range(of: ") ", options: .backwards) else { return false }
        return !stat[end.upperBound...].hasPrefix("Z")
    }

    /// Runs a tool to completion; its output, or an error with the output if it failed.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw RunitTreeError.toolFailed("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(text)")
        }
        return text
    }
}

enum RunitTreeError: Error, CustomStringConvertible {
    case toolFailed(String)
    var description: String {
        switch self {
        case let .toolFailed(text): text
        }
    }
}
