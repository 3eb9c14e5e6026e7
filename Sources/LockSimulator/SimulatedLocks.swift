import Dispatch
import Foundation
import MQTTClient
import ProcessSupport

/// Keypad locks that behave like the MTR001DC over zigbee2mqtt: a touch reports
/// `{"occupancy":true}` on `<base>/<name>` and `{"occupancy":false}` a hold time later; a new
/// touch restarts the hold; `/set` commands (UNLOCK, LOCK, TOGGLE) change the bolt, are
/// recorded with their time and (as zigbee2mqtt does) answered with the new state on the
/// lock's topic, `{"state":"UNLOCK","lock_state":"unlocked"}`; an unlocked bolt relocks by
/// itself after the relock time, reporting `LOCK` again. A lock can play dead (obeys, never
/// reports) or lose commands (neither obeys nor reports).
///
/// All state lives on one serial queue: commands from the script, the control channel and
/// MQTT are applied one at a time, in arrival order.
/// Reason for @unchecked: every var is touched only on `queue`, the serial queue named above.
final class SimulatedLocks: @unchecked Sendable {
    struct Settings {
        var baseTopic: String
        /// Lock name (as commands use it) → zigbee2mqtt friendly name (its topic).
        var locks: [String: String]
        /// Scenario seconds between a touch and its false.
        var holdSeconds: Double
        /// Real seconds = scenario seconds × timeScale.
        var timeScale: Double
        var retain: Bool
        var qos: Int
        /// Publish the new state on the state topic after each /set, as zigbee2mqtt does.
        var reportState: Bool
        /// Scenario seconds after which an unlocked bolt locks itself again; nil: never.
        var relockSeconds: Double?
    }

    typealias Publish = @Sendable (_ topic: String, _ payload: String, _ retain: Bool, _ qos: Int) -> Bool

    private let settings: Settings
    private let publish: Publish
    private let recorder: CommandRecorder?
    private let log: Log
    private let onQuit: @Sendable () -> Void
    private let queue = DispatchQueue(label: "facegate.locksim")

    // Queue-confined state.
    private var startNanoseconds: UInt64?
    private var generation: [String: Int] = [:]
    private var occupied: [String: Bool] = [:]
    private var unlocked: [String: Bool] = [:]
    private var commandsReceived = 0
    private var behaviour: [String: Behaviour] = [:]

    private enum Behaviour: String { case normal, dead, losing }

    init(settings: Settings, recorder: CommandRecorder?, log: Log,
         publish: @escaping Publish, onQuit: @escaping @Sendable () -> Void) {
        self.settings = settings
        self.recorder = recorder
        self.log = log
        self.publish = publish
        self.onQuit = onQuit
    }

    func stateTopic(_ lock: String) -> String? { settings.locks[lock].map { "\(settings.baseTopic)/\($0)" } }
    var setTopics: [String] { settings.locks.values.sorted().map { "\(settings.baseTopic)/\($0)/set" } }

    /// Starts the scenario clock (once) and runs the script steps at their times.
    func start(script: SimulatorScript?) {
        queue.async { [self] in
            guard startNanoseconds == nil else { return }
            let start = MonotonicClock.nowNanoseconds()
            startNanoseconds = start
            log.info("ready", ["locks": settings.locks.keys.sorted().joined(separator: ","),
                               "time_scale": settings.timeScale, "script_steps": script?.steps.count ?? 0])
            for step in script?.steps ?? [] {
                let due = start + UInt64(step.at * settings.timeScale * 1e9)
                schedule(atNanoseconds: due) { [self] in
                    log.info("script step", ["line": step.line, "at": step.at])
                    apply(step.command)
                }
            }
        }
    }

    /// Applies a command from the control channel (now).
    func perform(_ command: SimulatorCommand) {
        queue.async { [self] in apply(command) }
    }

    /// Waits until every command queued so far has been applied.
    func drain() { queue.sync {} }

    /// A message on one of the `/set` topics.
    func receive(_ message: MQTTMessage) {
        let received = MonotonicClock.nowNanoseconds()
        queue.async { [self] in handleSet(message, receivedNanoseconds: received) }
    }

    // MARK: On the queue

    private func apply(_ command: SimulatorCommand) {
        switch command {
        case let .touch(lock):
            guard let topic = known(lock) else { return }
            let current = bump(lock)
            occupied[lock] = true
            report(lock, topic: topic, occupancy: true)
            let due = MonotonicClock.nowNanoseconds() + UInt64(settings.holdSeconds * settings.timeScale * 1e9)
            schedule(atNanoseconds: due) { [self] in
                guard generation[lock] == current else { return }
                occupied[lock] = false
                report(lock, topic: topic, occupancy: false)
            }
        case let .release(lock):
            guard let topic = known(lock) else { return }
            _ = bump(lock)
            occupied[lock] = false
            report(lock, topic: topic, occupancy: false)
        case let .loseFalse(lock):
            guard known(lock) != nil else { return }
            _ = bump(lock)
            log.info("pending occupancy:false dropped", ["lock": lock])
            record(["event": "lose-false", "lock": lock])
        case let .send(lock, payload):
            guard let topic = known(lock) else { return }
            let sent = publish(topic, payload, false, settings.qos)
            log.info("raw payload sent", ["lock": lock, "bytes": payload.utf8.count, "published": sent])
            record(["event": "send", "lock": lock, "topic": topic, "payload": payload, "published": sent])
        case let .publish(topic, payload):
            let sent = publish(topic, payload, false, settings.qos)
            log.info("published", ["topic": topic, "published": sent])
            record(["event": "publish", "topic": topic, "payload": payload, "published": sent])
        case let .dead(lock), let .lose(lock), let .heal(lock):
            guard known(lock) != nil else { return }
            let mode: Behaviour = if case .dead = command { .dead } else if case .lose = command { .losing } else { .normal }
            behaviour[lock] = mode
            log.info("lock behaviour", ["lock": lock, "mode": mode.rawValue])
            record(["event": "behaviour", "lock": lock, "mode": mode.rawValue])
        case .quit:
            log.info("quit requested")
            onQuit()
        }
    }

    private func known(_ lock: String) -> String? {
        guard let topic = stateTopic(lock) else {
            log.error("unknown lock, command ignored", ["lock": lock, "known": settings.locks.keys.sorted().joined(separator: ",")])
            return nil
        }
        return topic
    }

    /// A new generation cancels the pending false of the previous touch.
    private func bump(_ lock: String) -> Int {
        let next = generation[lock, default: 0] + 1
        generation[lock] = next
        return next
    }

    private func report(_ lock: String, topic: String, occupancy: Bool) {
        let payload = "{\"occupancy\":\(occupancy)}"
        // Stamped before publishing: the broker may act on the report (and a frame be captured
        // in the session it opens) before this thread returns from the publish.
        let stamp = MonotonicClock.nowNanoseconds()
        let sent = publish(topic, payload, settings.retain, settings.qos)
        if sent {
            log.info("occupancy reported", ["lock": lock, "occupancy": occupancy])
        } else {
            log.warning("not connected: occupancy report lost", ["lock": lock, "occupancy": occupancy])
        }
        record(["event": "occupancy", "lock": lock, "topic": topic, "occupancy": occupancy, "published": sent,
                "retain": settings.retain], at: stamp)
    }

    private func handleSet(_ message: MQTTMessage, receivedNanoseconds: UInt64) {
        let prefix = settings.baseTopic + "/"
        let name = message.topic.hasPrefix(prefix) && message.topic.hasSuffix("/set")
            ? String(message.topic.dropFirst(prefix.count).dropLast(4)) : ""
        let lock = settings.locks.first { $0.value == name }?.key ?? name
        let text = message.payloadText ?? ""
        var fields: [String: Any] = ["event": "command", "lock": lock, "topic": message.topic, "payload": text,
                                     "qos": message.qos, "retain": message.retain]
        var state: String?
        if let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
           let value = object["state"] as? String, ["UNLOCK", "LOCK", "TOGGLE"].contains(value.uppercased()) {
            state = value.uppercased()
        }
        if behaviour[lock] == .losing {
            log.info("command lost", ["lock": lock, "payload": String(text.prefix(200))])
            fields["event"] = "command-lost"
            record(fields, at: receivedNanoseconds)
            return
        }
        commandsReceived += 1
        if let state {
            let wasUnlocked = unlocked[lock, default: false]
            let nowUnlocked = state == "TOGGLE" ? !wasUnlocked : state == "UNLOCK"
            unlocked[lock] = nowUnlocked
            fields["state"] = state
            fields["lock_state"] = nowUnlocked ? "unlocked" : "locked"
            log.info("command received", ["lock": lock, "state": state, "qos": message.qos, "retain": message.retain,
                                          "lock_state": nowUnlocked ? "unlocked" : "locked", "count": commandsReceived])
            reportBolt(lock)
            if nowUnlocked, let relock = settings.relockSeconds {
                let due = MonotonicClock.nowNanoseconds() + UInt64(relock * settings.timeScale * 1e9)
                let generation = commandsReceived
                schedule(atNanoseconds: due) { [self] in
                    // Only the latest command's relock: a later UNLOCK restarts the wait.
                    guard commandsReceived == generation, unlocked[lock] == true else { return }
                    unlocked[lock] = false
                    log.info("relocked", ["lock": lock])
                    record(["event": "relock", "lock": lock])
                    reportBolt(lock)
                }
            }
        } else {
            fields["error"] = "payload is not {\"state\":\"UNLOCK\"|\"LOCK\"|\"TOGGLE\"}"
            log.warning("unusable command received", ["lock": lock, "payload": String(text.prefix(200))])
        }
        record(fields, at: receivedNanoseconds)
    }

    /// The bolt's state on the lock's topic, as zigbee2mqtt publishes it after a change.
    private func reportBolt(_ lock: String) {
        guard settings.reportState, behaviour[lock] != .dead, let topic = stateTopic(lock) else { return }
        let open = unlocked[lock, default: false]
        let payload = "{\"state\":\"\(open ? "UNLOCK" : "LOCK")\",\"lock_state\":\"\(open ? "unlocked" : "locked")\"}"
        let sent = publish(topic, payload, settings.retain, settings.qos)
        log.info("state reported", ["lock": lock, "state": open ? "UNLOCK" : "LOCK", "published": sent])
        record(["event": "state", "lock": lock, "topic": topic, "payload": payload, "lock_state": open ? "unlocked" : "locked",
                "published": sent])
    }

    private func record(_ fields: [String: Any], at nanoseconds: UInt64 = MonotonicClock.nowNanoseconds()) {
        guard let recorder else { return }
        var fields = fields
        let wall = Date()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        fields["wall_time"] = formatter.string(from: wall)
        fields["monotonic_ns"] = nanoseconds
        if let start = startNanoseconds {
            let elapsed = Double(Int64(bitPattern: nanoseconds &- start)) / 1e9
            fields["elapsed"] = elapsed
            fields["scenario_time"] = elapsed / settings.timeScale
        }
        recorder.write(fields)
    }

    private func schedule(atNanoseconds due: UInt64, _ work: @escaping @Sendable () -> Void) {
        let now = MonotonicClock.nowNanoseconds()
        let delay = due > now ? Int(due - now) : 0
        queue.asyncAfter(deadline: .now() + .nanoseconds(delay), execute: work)
    }
}
