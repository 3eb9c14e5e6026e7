import Foundation

/// One line of the lock simulator's `--record` file.
public struct LockSimRecord: Equatable, Sendable {
    /// "command" (a /set received), "occupancy" (a report published), "lose-false", "send", "publish".
    public let event: String
    public let lock: String?
    public let topic: String?
    public let payload: String?
    /// UNLOCK, LOCK or TOGGLE for a usable command; nil (and `error` set) otherwise.
    public let state: String?
    /// The simulated bolt after the command: "locked" or "unlocked".
    public let lockState: String?
    public let error: String?
    public let occupancy: Bool?
    public let qos: Int?
    public let retain: Bool?
    public let published: Bool?
    /// Seconds since the simulator became ready, real and scenario (real / time scale).
    public let elapsed: Double?
    public let scenarioTime: Double?
    /// CLOCK_MONOTONIC when the simulator received the command or made the report.
    public let monotonicNs: UInt64?

    init(_ object: [String: Any]) {
        event = object["event"] as? String ?? ""
        lock = object["lock"] as? String
        topic = object["topic"] as? String
        payload = object["payload"] as? String
        state = object["state"] as? String
        lockState = object["lock_state"] as? String
        error = object["error"] as? String
        occupancy = (object["occupancy"] as? NSNumber)?.boolValue
        qos = (object["qos"] as? NSNumber)?.intValue
        retain = (object["retain"] as? NSNumber)?.boolValue
        published = (object["published"] as? NSNumber)?.boolValue
        elapsed = (object["elapsed"] as? NSNumber)?.doubleValue
        scenarioTime = (object["scenario_time"] as? NSNumber)?.doubleValue
        monotonicNs = (object["monotonic_ns"] as? NSNumber)?.uint64Value
    }
}

/// `facegate-locksim` running as a real process against a `MosquittoServer`, with a control
/// FIFO for commands (`touch DC001`, ...) and its record file parsed on demand.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class LockSimProcess: @unchecked Sendable {
    public let child: ChildProcess
    public let recordURL: URL
    public let controlURL: URL

    /// Starts the simulator for `locks` and (by default) waits until it logged `msg=ready`
    /// (connected and subscribed; script time starts then). Files go to `directory`
    /// (default: the server's temporary directory).
    public init(server: MosquittoServer, locks: [String], occupancySeconds: Double = 10, timeScale: Double = 1,
                script: String? = nil, baseTopic: String = "zigbee2mqtt", extraArguments: [String] = [],
                directory: URL? = nil, name: String = "locksim", waitUntilReady: Bool = true,
                username: String? = nil) throws {
        let dir = directory ?? server.directory.url
        let id = UUID().uuidString.prefix(8)
        recordURL = dir.appendingPathComponent("\(name)-\(id).jsonl")
        controlURL = dir.appendingPathComponent("\(name)-\(id).ctl")
        var arguments = ["--host", server.host, "--port", String(server.port), "--base-topic", baseTopic,
                         "--occupancy-seconds", String(occupancySeconds), "--time-scale", String(timeScale),
                         "--record", recordURL.path, "--control", controlURL.path, "--client-id", "\(name)-\(id)"]
        // The simulator is zigbee2mqtt: on a bus with an ACL it must log in as zigbee2mqtt's user.
        if let user = username ?? server.users.keys.sorted().first {
            arguments += ["--username", user, "--password", server.users[user] ?? ""]
        }
        for lock in locks { arguments += ["--lock", lock] }
        if let script {
            let scriptURL = dir.appendingPathComponent("\(name)-\(id).script")
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            arguments += ["--script", scriptURL.path]
        }
        child = try ChildProcess(Paths.executable("facegate-locksim"), arguments + extraArguments,
                                 logDirectory: dir, name: "\(name)-\(id)")
        if waitUntilReady {
            guard child.waitForLog("msg=ready", timeout: 30) else {
                child.terminate(grace: 2)
                throw LockSimError.notReady(log: child.log)
            }
        }
    }

    deinit { child.terminate(grace: 5) }

    /// Sends one control command line, e.g. `touch DC001`.
    public func send(_ command: String, timeout: Double = 10) throws {
        var fd: Int32 = -1
        // Non-blocking open fails (ENXIO) until the simulator has the FIFO open.
        waitUntil(timeout: timeout, interval: 0.02) {
            fd = open(controlURL.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return fd >= 0
        }
        guard fd >= 0 else { throw LockSimError.controlUnavailable(path: controlURL.path) }
        defer { close(fd) }
        let bytes = Array((command + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw LockSimError.controlUnavailable(path: controlURL.path) }
    }

    /// Every record so far, in order.
    public var records: [LockSimRecord] {
        guard let text = try? String(contentsOf: recordURL, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map(LockSimRecord.init)
        }
    }

    /// The /set commands received (by one lock, if given).
    public func commands(lock: String? = nil) -> [LockSimRecord] {
        records.filter { $0.event == "command" && (lock == nil || $0.lock == lock) }
    }

    /// The occupancy reports published (by one lock, if given).
    public func occupancyReports(lock: String? = nil) -> [LockSimRecord] {
        records.filter { $0.event == "occupancy" && (lock == nil || $0.lock == lock) }
    }

    @discardableResult
    public func waitForRecords(timeout: Double = 20, _ condition: ([LockSimRecord]) -> Bool) -> Bool {
        waitUntil(timeout: timeout, interval: 0.02) { condition(records) }
    }

    /// Whether the simulator's current MQTT connection is subscribed: the last connection event
    /// it logged is `subscribed`. (Counting `subscribed` lines is wrong: mosquitto killed again
    /// a moment after a restart gives no chance to subscribe in between.)
    public var isSubscribed: Bool {
        let events = ["msg=subscribed", "msg=connected", "msg=disconnected", "msg=\"connection failed", "msg=\"cannot connect"]
        let last = child.log.split(separator: "\n").last { line in events.contains { line.contains($0) } }
        return last?.contains("msg=subscribed") ?? false
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func stop() -> Int32 { child.terminate(grace: 10) }
}

public enum LockSimError: Error, CustomStringConvertible {
    case notReady(log: String)
    case controlUnavailable(path: String)

    public var description: String {
        switch self {
        case let .notReady(log): "facegate-locksim did not become ready:\n\(log)"
        case let .controlUnavailable(path): "cannot write to the lock simulator's control FIFO \(path)"
        }
    }
}
