import BrokerCore
import Foundation
import HomeAssistantDiscovery
import MQTTClient
import ProcessSupport

/// The broker's side of Home Assistant's MQTT discovery: it keeps what each entity should
/// show, publishes a state when it changes, and on every (re)connect and every Home Assistant
/// birth (`<discovery_prefix>/status` `online`) publishes availability, configs and states
/// again: mosquitto may have restarted without its retained messages, and Home Assistant may
/// have restarted without them too.
///
/// Each change is published under the same lock that records it, and so is the announcement:
/// a state published from a socket thread can never be overtaken by an older copy of it in an
/// announcement made on MQTT's network thread.
final class HomeAssistantLink: Sendable {
    let discovery: HomeAssistantDiscovery
    private let log: Log
    private let publisher: @Sendable (DiscoveryMessage, _ qos: Int) -> Bool
    private let state = Locked(Entities())

    private struct Entities {
        var sessions: [String: Bool] = [:]
        var cameras: [String: Bool] = [:]
        var decisions: [String: LockDecisionState] = [:]
    }

    init(discovery: HomeAssistantDiscovery, log: Log,
         publisher: @escaping @Sendable (DiscoveryMessage, _ qos: Int) -> Bool) {
        self.discovery = discovery
        self.log = log
        self.publisher = publisher
        state.withLock { entities in
            for lock in discovery.locks { entities.sessions[lock] = false }
            for camera in discovery.cameras { entities.cameras[camera] = false }
        }
    }

    var statusTopic: String { discovery.settings.statusTopic }

    /// The connection is up: tell Home Assistant everything.
    func connected() { announce(reason: "mqtt connected") }

    /// A message on Home Assistant's status topic. A retained `online` is Home Assistant's
    /// past birth, already answered by the announcement every connect makes.
    func status(_ message: MQTTMessage) {
        guard !message.retain, message.payloadText?.trimmingCharacters(in: .whitespacesAndNewlines) == HomeAssistantDiscovery.online
        else {
            log.debug("home assistant status ignored", ["payload": message.payloadText ?? "", "retained": message.retain])
            return
        }
        announce(reason: "home assistant online")
    }

    /// Before a clean stop (a DISCONNECT makes mosquitto drop the will): say so ourselves.
    /// QoS 0: mosquitto 2.0 answers a QoS 1 publish with a PUBACK, and when that finds the
    /// socket already closed behind our DISCONNECT it takes the connection for lost and
    /// publishes the will as well.
    func stopping() { state.withLock { _ in _ = publisher(discovery.will, 0) } }

    /// The locks with an open occupancy session now; publishes the locks whose state changed.
    func sessions(open: Set<String>) {
        state.withLock { entities in
            for lock in discovery.locks where entities.sessions[lock] != open.contains(lock) {
                entities.sessions[lock] = open.contains(lock)
                _ = publisher(discovery.session(lock: lock, open: open.contains(lock)), 1)
            }
        }
    }

    /// The cameras whose facegate-capture is connected now; publishes the changes.
    func cameras(online: Set<String>) {
        state.withLock { entities in
            for camera in discovery.cameras where entities.cameras[camera] != online.contains(camera) {
                entities.cameras[camera] = online.contains(camera)
                _ = publisher(discovery.camera(camera, online: online.contains(camera)), 1)
            }
        }
    }

    /// A decision's audit row is committed: each lock it concerns shows it.
    func decided(_ decision: Decision, timeWallNs: Int64) {
        for (lock, decisionState) in LockDecisionState.perLock(decision, timeWallNs: timeWallNs) {
            decided(lock: lock.rawValue, decisionState)
        }
    }

    func decided(lock: String, _ decisionState: LockDecisionState) {
        guard discovery.locks.contains(lock) else { return }
        state.withLock { entities in
            entities.decisions[lock] = decisionState
            _ = publisher(discovery.decision(lock: lock, decisionState), 1)
        }
    }

    private func announce(reason: String) {
        let (messages, refused): ([DiscoveryMessage], Int) = state.withLock { entities in
            var messages = [discovery.available] + discovery.configs()
            messages += discovery.locks.map { discovery.session(lock: $0, open: entities.sessions[$0] ?? false) }
            messages += discovery.cameras.map { discovery.camera($0, online: entities.cameras[$0] ?? false) }
            messages += discovery.locks.compactMap { lock in entities.decisions[lock].map { discovery.decision(lock: lock, $0) } }
            return (messages, messages.filter { !publisher($0, 1) }.count)
        }
        if refused > 0 {
            log.warning("home assistant discovery not fully published", ["reason": reason, "refused": refused,
                                                                         "messages": messages.count])
        } else {
            log.info("home assistant discovery published", ["reason": reason, "configs": discovery.configs().count,
                                                            "node_id": discovery.settings.nodeID,
                                                            "prefix": discovery.settings.discoveryPrefix])
        }
    }
}
