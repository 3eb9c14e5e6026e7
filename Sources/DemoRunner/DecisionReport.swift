import BrokerCore
import Foundation
import GalleryStore

/// After the story: what was decided and why, from the audit (one row per face the broker
/// judged), and the verdict from what the locks received. Expected: DC006 unlocked exactly
/// once for the member, DC001 never.
struct DecisionReport {
    let member: String
    let database: String
    let lockRecord: URL
    let tapOutput: URL
    let clock: StoryClock
    let narrator: EventNarrator

    /// Prints the explanation and the outcome; returns what was wrong (empty when nothing).
    func tell() throws -> [String] {
        let store = try GalleryStore(path: database)
        let rows = try store.auditTail(limit: 10_000).map(\.entry)
        let grants = try store.listGrants(member: member).map(\.lock.rawValue).sorted()
        let commands = LockRecord.all(in: lockRecord).filter { $0.event == "command" }

        Console.say()
        Console.say("== What was decided, and why (from the audit: one row per face the broker judged)")
        var kinds: [String: Int] = [:]
        for row in rows { kinds[row.kind.rawValue, default: 0] += 1 }
        if rows.isEmpty {
            Console.say("  no audit rows: no face was ever judged")
        } else {
            let counts = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            Console.say("  \(rows.count) audit row\(rows.count == 1 ? "" : "s"): \(counts)")
        }
        for row in rows where row.kind == .unlock { explain(unlock: row, grants: grants) }
        let others = rows.filter { $0.kind != .unlock }
        if !others.isEmpty {
            Console.say("  the other rows, by kind:")
            for kind in Set(others.map(\.kind.rawValue)).sorted() {
                let sample = others.first { $0.kind.rawValue == kind }!
                Console.say("    \(Self.padded(kind, 22)) x\(Self.padded(String(kinds[kind] ?? 0), 3)) e.g. \(sample.reason)")
            }
        }

        let dc006 = commands.filter { $0.lock == "DC006" }, dc001 = commands.filter { $0.lock == "DC001" }
        Console.say()
        Console.say("== Outcome (what the locks received)")
        for (lock, received) in [("DC006", dc006), ("DC001", dc001)] {
            let told = received.map { "\($0.payload ?? "?") @\(String(format: "%.1f", clock.seconds(at: $0.monotonicNs ?? 0)))" }
            Console.say("  \(lock): \(told.isEmpty ? "nothing" : told.joined(separator: ", "))")
        }
        var problems: [String] = []
        if dc006.count != 1 || dc006[0].state != "UNLOCK" {
            problems.append("DC006 should have received exactly one UNLOCK, it received \(dc006.count) command(s)")
        }
        if !dc001.isEmpty {
            problems.append("DC001 should never have been unlocked, it received \(dc001.count) command(s)")
        }
        let unlocks = rows.filter { $0.kind == .unlock }
        if unlocks.count != 1 || unlocks[0].unlockedLocks != ["DC006"] || unlocks[0].member?.name != member {
            let held = unlocks.map { "\($0.member?.name ?? "nobody") \(EventNarrator.braces($0.unlockedLocks.map(\.rawValue)))" }
            problems.append("the audit should hold exactly one unlock row, of DC006 for \(member); it holds "
                + (held.isEmpty ? "none" : held.joined(separator: ", ")))
        }
        if problems.isEmpty {
            Console.say("  as expected: DC006 unlocked once for \(member), DC001 never.")
        } else {
            for problem in problems { Console.say("  FAILED: \(problem)") }
        }
        return problems
    }

    /// One unlock: when its frame was captured and decided, the snapshot it carried, the
    /// grants, and why that is exactly the lock that opened.
    private func explain(unlock row: AuditEntry, grants: [String]) {
        let captureNs = row.captureMonotonicNs ?? 0
        // The decision's CLOCK_MONOTONIC instant: capture time plus the wall-clock delay.
        let delay = row.captureWallNs.map { row.timeWallNs - $0 } ?? 0
        let decidedNs = UInt64(max(0, Int64(captureNs) + delay))
        let snapshot = (try? row.snapshot())?.lockSessions.map(\.lock.rawValue).sorted() ?? []
        let name = row.member?.name ?? "?"
        Console.say("  txn \(row.txn): frame captured @\(Self.oneDecimal(clock.seconds(at: captureNs))), decided @"
            + "\(Self.oneDecimal(clock.seconds(at: decidedNs))): \(name) at distance \(String(format: "%.3f", row.distance ?? .nan))")
        Console.say("    snapshot stored with the frame when it was captured: \(EventNarrator.braces(snapshot))")
        Console.say("    \(name)'s grants: \(EventNarrator.braces(grants))")
        Console.say("    locks opened = snapshot ∩ grants = \(EventNarrator.braces(row.unlockedLocks.map(\.rawValue)))")
        for line in tapLines(row.txn) { Console.say("    tap: \(line)") }
        if let off = narrator.firstEvent("DC001", "false"), off < captureNs {
            Console.say("    DC001 is not in the snapshot: its occupancy:false came @\(Self.oneDecimal(clock.seconds(at: off))), "
                + "before the frame was captured")
        }
        if let off = narrator.firstEvent("DC006", "false"), off < decidedNs {
            Console.say("    DC006's own occupancy:false came @\(Self.oneDecimal(clock.seconds(at: off))), before the decision: "
                + "the system facegate replaces read")
            Console.say("    the context at decision time, found it empty and unlocked every lock on the camera (bug #5);")
            Console.say("    facegate decides with the snapshot taken at capture time and has no unlock-all path.")
        }
    }

    /// What facegate-tap printed about one txn: the detect sent, the result received.
    private func tapLines(_ txn: DetectingTxn) -> [String] {
        guard let text = try? String(contentsOf: tapOutput, encoding: .utf8) else { return [] }
        // The tap may print a txn in decimal where logs and the audit use 16 hex digits.
        let forms = ["txn=\(txn) ", "txn=\(txn.rawValue) "]
        return text.split(separator: "\n")
            .filter { line in !line.hasPrefix("level=") && forms.contains { line.contains($0) } }
            .prefix(4)
            .map { $0.count <= 150 ? String($0) : String($0.prefix(147)) + "..." }
    }

    static func oneDecimal(_ value: Double) -> String { String(format: "%.1f", value) }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
