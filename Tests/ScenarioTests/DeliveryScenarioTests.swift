import BrokerCore
import Foundation
import GalleryStore
import MQTTClient
import ProcessSupport
import TestSupport
import XCTest

/// The audit tells what reached the lock: a decision to open is an unlock only once the command
/// is handed over, is written before it is published, and carries the lock's own confirmation.
final class DeliveryScenarioTests: ScenarioCase {
    /// S1 with the lock reporting its new state: the audit row's delivery is confirmed.
    func testS1DeliveryIsPublishedAndConfirmedByTheLock() throws {
        let p = try makePipeline()
        try playS1(p)
        let rows = waitForAudit(p, timeout: 30) { $0.first { $0.kind == .unlock }?.deliveries.first?.confirmation != nil }
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock }, auditText(p))
        XCTAssertEqual(unlock.deliveries.count, 1)
        let delivery = try XCTUnwrap(unlock.deliveries.first)
        XCTAssertEqual(delivery.lock, "DC006")
        XCTAssertEqual(delivery.qos, 1, "UNLOCK is idempotent: QoS 1")
        XCTAssertEqual(delivery.state, .published)
        XCTAssertEqual(delivery.detail, "PUBACK received")
        XCTAssertEqual(delivery.confirmation, .confirmed, auditText(p))
        XCTAssertEqual(p.commands("DC006").first?.qos, 1)
        let counters = try XCTUnwrap(p.brokerStatus()?["counters"] as? [String: Any])
        XCTAssertEqual(counters["unlocks"] as? Int, 1, "delivered unlocks")
        XCTAssertEqual(counters["unlocks_failed"] as? Int, 0)
    }

    /// A lock that takes the command but never reports: published, then unconfirmed.
    func testDeadLockLeavesTheDeliveryUnconfirmed() throws {
        let p = try makePipeline()
        try p.locks.send("dead DC006")
        try playS1(p)
        let rows = waitForAudit(p, timeout: 30) { $0.first { $0.kind == .unlock }?.deliveries.first?.confirmation != nil }
        let delivery = try XCTUnwrap(rows.first { $0.kind == .unlock }?.deliveries.first, auditText(p))
        XCTAssertEqual(delivery.state, .published)
        XCTAssertEqual(delivery.confirmation, .unconfirmed, auditText(p))
        XCTAssertFalse(p.brokerLines("msg=\"lock did not confirm the unlock\"", "lock=DC006").isEmpty, p.dump())
    }

    /// mosquitto is down when the result arrives: no /set at any time after (also once it is
    /// back), the audit says `unlock_failed` naming the lock and the cause, and no row says
    /// the door was unlocked.
    func testMQTTDownAtDecisionIsUnlockFailedAndNeverSentLater() throws {
        let p = try makePipeline()
        try holdFrameInStoppedRecognizer(p)
        p.mosquitto.kill()
        XCTAssertTrue(p.broker!.waitForLog("trigger state cleared"), p.dump())
        p.signal(.recognizer("r1"), SIGCONT)
        let rows = waitForDecision(p, .unlockFailed)
        let failed = try XCTUnwrap(rows.first { $0.kind == .unlockFailed })
        XCTAssertEqual(failed.member?.name, "obama")
        XCTAssertEqual(failed.unlockedLocks, [])
        XCTAssertEqual(failed.deliveries.map(\.lock), ["DC006"])
        XCTAssertEqual(failed.deliveries.first?.state, .failed)
        XCTAssertTrue(failed.reason.contains("NOT DELIVERED: DC006 (MQTT not connected)"), failed.reason)

        // Back after max_decision_age: nothing is delivered late.
        p.at(1 + p.options.maxDecisionAge + 1)
        try p.mosquitto.start()
        XCTAssertTrue(p.broker!.waitForLine("msg=\"mqtt subscriptions active\"", count: 2, timeout: 30), p.dump())
        XCTAssertTrue(waitUntil(timeout: 30) { p.locks.isSubscribed }, p.dump())
        p.at(p.now + 3)
        XCTAssertEqual(p.commands().count, 0, "a command reached a lock\n\(p.dump())")
        XCTAssertEqual(audit(p).filter { $0.kind == .unlock }.count, 0, auditText(p))
        let counters = try XCTUnwrap(p.brokerStatus()?["counters"] as? [String: Any])
        XCTAssertEqual(counters["unlocks"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(counters["unlocks_failed"] as? Int ?? 0, 1)
    }

    /// mosquitto frozen (SIGSTOP) when the UNLOCK is published, then killed and restarted: no
    /// PUBACK before max_decision_age → `unlock_failed`; the command is never delivered, not
    /// even from libmosquitto's queue after the reconnect; and the audit never says the door
    /// opened without the lock having received the command.
    func testMQTTFrozenThenKilledIsNeverAnUnlockWithoutTheCommand() throws {
        let p = try makePipeline()
        try p.touch("DC006")
        p.signal(.mosquitto, SIGSTOP)
        p.at(1)
        try p.show("obama2.jpg")
        let rows = waitForDecision(p, .unlockFailed, timeout: 60)
        let failed = try XCTUnwrap(rows.first { $0.kind == .unlockFailed }, auditText(p))
        XCTAssertTrue(failed.reason.contains("DC006 (no PUBACK before the deadline)"), failed.reason)
        p.hide()
        p.mosquitto.kill()
        try p.mosquitto.start()
        XCTAssertTrue(p.broker!.waitForLine("msg=\"mqtt subscriptions active\"", count: 2, timeout: 30), p.dump())
        XCTAssertTrue(waitUntil(timeout: 30) { p.locks.isSubscribed }, p.dump())
        p.at(p.now + 4)
        XCTAssertTrue(settle(p), p.dump())
        // A younger frame of the same session may still open the door once MQTT is back, within
        // its own max_decision_age: that is a new command with its own row. The abandoned one
        // never arrives, and nothing arrives past the deadline of the row that sent it.
        // The audit's word that the door opened is `confirmed`: never more of those than commands
        // the lock received, never a received command without its row. (A younger frame's
        // UNLOCK that mosquitto took just before the simulator subscribed again is honestly
        // `published`, then `unconfirmed`.)
        let all = audit(p)
        let published = all.filter { $0.kind == .unlock }
        let confirmed = published.filter { $0.deliveries.first?.confirmation == .confirmed }.count
        XCTAssertLessThanOrEqual(confirmed, p.commands("DC006").count, "confirmed without the command\n\(auditText(p))\n\(p.dump())")
        XCTAssertLessThanOrEqual(p.commands("DC006").count, published.count, "a command without its row\n\(auditText(p))\n\(p.dump())")
        XCTAssertTrue(published.allSatisfy { $0.deliveries.map(\.state) == [.published] }, auditText(p))
        let maxAge = UInt64(p.options.maxDecisionAge * p.scale * 1e9)
        let deadlines = published.compactMap(\.captureMonotonicNs).map { $0 + maxAge }.sorted()
        for (command, deadline) in zip(p.commands("DC006").compactMap(\.monotonicNs), deadlines) {
            XCTAssertLessThanOrEqual(command, deadline, "a command reached the lock after max_decision_age")
        }
        XCTAssertTrue(all.filter { $0.kind == .unlockFailed }.allSatisfy { $0.unlockedLocks.isEmpty && !$0.deliveries.isEmpty })
        XCTAssertEqual(p.commands().count, p.commands("DC006").count)
    }

    /// The broker SIGKILLed the instant its UNLOCK reaches MQTT, 30 times (bounded in time):
    /// every command the lock received has its audit row, because the row is committed first.
    /// After the last kill, a restarted broker marks what it could not finish as unknown.
    func testBrokerKilledAtTheMomentOfPublishNeverLeavesACommandWithoutItsRow() throws {
        let p = try makePipeline()
        let killer = try PublishKiller(server: p.mosquitto, topic: "zigbee2mqtt/+/set")
        defer { killer.stop() }
        try p.show("obama2.jpg")
        let deadline = Date(timeIntervalSinceNow: 300)
        var kills = 0
        while kills < 30 && Date() < deadline {
            let broker = try XCTUnwrap(p.broker)
            killer.arm(pid: broker.pid)
            try p.touch("DC006")
            guard waitUntil(timeout: 30, { !broker.isRunning }) else {
                XCTFail("no unlock published within 30 s (kill \(kills))\n\(p.dump())"); break
            }
            kills += 1
            try p.restart(.broker)
            XCTAssertTrue(p.broker!.waitForLine("msg=\"peer connected\"", "name=r1", timeout: 30), p.dump())
            try p.release("DC006")
        }
        print("broker killed at publish \(kills) times; the lock received \(p.commands("DC006").count) commands")
        XCTAssertEqual(kills, 30)
        let rows = audit(p).filter { !$0.deliveries.isEmpty }
        let received = p.commands("DC006").count
        XCTAssertGreaterThanOrEqual(received, kills, "each kill followed a publish")
        XCTAssertGreaterThanOrEqual(rows.count, received, "commands without an audit row\n\(auditText(p))")
        XCTAssertTrue(rows.allSatisfy { $0.kind == .unlock && $0.unlockedLocks == ["DC006"] }, auditText(p))
        XCTAssertTrue(rows.allSatisfy { $0.deliveries.allSatisfy { $0.state != .pending } },
                      "a restarted broker leaves no delivery pending\n\(auditText(p))")
        XCTAssertGreaterThan(p.brokerLines("msg=\"commands of a previous run have no known outcome; audited as unknown\"").count, 0)
    }
}

/// Subscribes to the command topics and SIGKILLs the armed process the instant one arrives:
/// from the MQTT client's network thread, without a file or a poll in between.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class PublishKiller: @unchecked Sendable {
    private let lock = NSLock()
    private var armed: Int32?
    private let connection: MQTTConnection

    /// Logs in as zigbee2mqtt when the bus is closed: the ACL lets only it read commands.
    init(server: MosquittoServer, topic: String) throws {
        let box = WeakBox()
        let user = server.users["zigbee2mqtt"]
        connection = try MQTTConnection(options: MQTTOptions(host: server.host, port: Int(server.port),
                                                             clientID: "killer-\(getpid())", username: user.map { _ in "zigbee2mqtt" },
                                                             password: user, reconnectDelayMin: 0.05,
                                                             reconnectDelayMax: 0.2)) { event in
            if case .message = event { box.value?.fire() }
        }
        box.value = self
        connection.subscribe(topic)
        connection.start()
        guard waitUntil(timeout: 20, { self.connection.isConnected }) else { throw PipelineError.notReady("kill subscriber", "") }
        Thread.sleep(forTimeInterval: 0.3) // the SUBACK
    }

    func arm(pid: Int32) { lock.withLock { armed = pid } }

    private func fire() {
        guard let pid = lock.withLock({ () -> Int32? in defer { armed = nil }; return armed }) else { return }
        kill(pid, SIGKILL)
    }

    func stop() { connection.stop(timeout: 5) }

    /// Reason for @unchecked: the weak reference is set once before the MQTT thread reads it.
    private final class WeakBox: @unchecked Sendable { weak var value: PublishKiller? }
}
