import BrokerCore
import Foundation
import GalleryStore
import Vocabulary

/// After the story, the attack liveness is for: someone touches DC001's keypad and holds a
/// still photo of the member up to the camera. DC001 asks for `liveness = "planar"`: the face
/// must show parallax, which one flat picture, however it is held, cannot. The broker
/// recognizes the member, waits DC001's confirm_window for that evidence
/// (`awaiting_confirmation`), then refuses (`liveness_failed`, with the figures); DC001 must
/// receive no command. The refusal is read from the audit database, as an operator would.
enum PhotoAttempt {
    static let lock = "DC001"
    /// DC001's `confirm_window`, story seconds: the default's 2 s at time scale 1.
    static let confirmWindow = 2.0
    /// DC001's session lasts 10 story seconds and its window 2: any refusal comes well before.
    static let giveUpAt = 12.0

    /// Plays the chapter on the story's processes, after the story; returns what was wrong
    /// (empty when nothing).
    static func play(story: Story, database: String, lockRecord: URL) throws -> [String] {
        let settings = story.settings, member = story.photos.member
        let store = try GalleryStore(path: database)
        let before = try store.lastAuditID()
        let photo = URL(fileURLWithPath: story.photos.cameraPhoto).lastPathComponent
        Console.say()
        Console.say("== A photo held up to \(lock)'s camera")
        let check = LivenessCheck(rawValue: settings.dc001Liveness) ?? .planar
        if check == .off {
            Console.say("  \(lock) runs with liveness = \"off\" (--dc001-liveness): a recognised face is enough to open it")
        } else {
            let asked = check.checksPlanar
                ? "move the way a head does and a flat picture cannot (parallax)" + (check.checksBlink ? ", and blink," : ",")
                : "blink (its eyes close and open again)"
            Console.say("  \(lock) asks more of a face: liveness = \"\(check.rawValue)\" (deploy/README.md, \"Liveness\"). To open it,")
            Console.say("  a face must \(asked)")
            Console.say("  within confirm_window (\(Console.number(confirmWindow)) story seconds) of its first frame. A photo held up to the camera does not.")
            Console.say("  (DC006 has liveness off: in the story a still photo stands in for a person.)")
        }
        Console.say("  Times are story seconds since the touch.")

        story.clock.begin()
        let start = StoryClock.now()
        story.clock.say("story", "someone touches \(lock)'s keypad and holds a printed photo of \(member) up to the camera (\(photo))")
        try story.touch(lock)
        try story.startCapture("image://\(story.photos.cameraPhoto)?fps=2")
        var rows: [AuditRecord] = []
        func readRows() throws { rows += try store.auditTail(limit: 1000, afterID: rows.last?.id ?? before) }
        let settled = try story.narrate(until: giveUpAt) {
            try readRows()
            return judgedRefusal(member: member, in: rows.map(\.entry)) != nil || rows.contains { $0.entry.kind == .unlock }
                || !commands(in: lockRecord, since: start).isEmpty
        }
        // Long enough for a command already on its way to reach the lock and be told.
        if settled { try story.pause(max(0.5, settings.scale * 0.5)) }
        story.clock.say("story", "the photo is taken away: the camera is switched off")
        story.stopCapture()
        try story.pause(0.3)
        try readRows()

        let entries = rows.map(\.entry), received = commands(in: lockRecord, since: start)
        var kinds: [String: Int] = [:]
        for row in entries { kinds[row.kind.rawValue, default: 0] += 1 }
        let counts = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        Console.say()
        Console.say("  the audit since the touch: \(entries.isEmpty ? "no rows" : counts)")
        if let row = judgedRefusal(member: member, in: entries) ?? refusal(member: member, in: entries) {
            let at = row.captureMonotonicNs.map { " captured @" + DecisionReport.oneDecimal(story.clock.seconds(at: $0)) } ?? ""
            Console.say("  txn \(row.txn)\(at): \(member) matched at \(String(format: "%.3f", row.distance ?? .nan)): "
                + "recognised, and refused at \(lock): liveness_failed")
            for line in explain(reason: row.reason) { Console.say("    \(line)") }
            if let waited = kinds[DecisionKind.awaitingConfirmation.rawValue] {
                Console.say("    before that, \(waited) awaiting_confirmation row\(waited == 1 ? "" : "s"): \(lock) waited its "
                    + "confirm_window for that evidence")
            }
        }
        let told = received.map { "\($0.payload ?? "?") @\(DecisionReport.oneDecimal(story.clock.seconds(at: $0.monotonicNs ?? 0)))" }
        Console.say("  \(lock): \(told.isEmpty ? "received no command" : "received " + told.joined(separator: ", "))")
        let wrong = problems(member: member, liveness: settings.dc001Liveness, rows: entries, commands: received)
        if wrong.isEmpty {
            Console.say("  as expected: \(member)'s photo was recognised and refused; \(lock) stayed locked.")
        } else {
            for problem in wrong { Console.say("  FAILED: \(problem)") }
        }
        return wrong
    }

    /// The commands `lock` received since `start` (CLOCK_MONOTONIC).
    static func commands(in lockRecord: URL, since start: UInt64) -> [LockRecord] {
        LockRecord.all(in: lockRecord).filter { $0.event == "command" && $0.lock == lock && ($0.monotonicNs ?? 0) >= start }
    }

    /// The first row refusing the member's face at DC001 for liveness.
    static func refusal(member: String, in rows: [AuditEntry]) -> AuditEntry? {
        rows.first { $0.kind == .livenessFailed && $0.member?.name == member && $0.reason.contains("\(lock): liveness_failed") }
    }

    /// The first refusal judged on how the face moved. A window that saw too few frames
    /// (a recognizer busy elsewhere, a slow start) also refuses, but says nothing about the
    /// photo: the chapter waits for the next window, the photo still held up.
    static func judgedRefusal(member: String, in rows: [AuditEntry]) -> AuditEntry? {
        rows.first { row in
            refusal(member: member, in: [row]) != nil && !row.reason.contains("with usable landmarks, need")
        }
    }

    /// What was wrong with the chapter's outcome: the photo must be refused at DC001 for
    /// liveness, in the audit, and DC001 must receive no command.
    static func problems(member: String, liveness: String, rows: [AuditEntry], commands: [LockRecord]) -> [String] {
        var problems: [String] = []
        if !commands.isEmpty {
            let payloads = commands.map { $0.payload ?? "?" }.joined(separator: ", ")
            problems.append("the photo opened \(lock) (liveness = \"\(liveness)\"): it received \(payloads)")
        }
        let unlocks = rows.filter { $0.kind == .unlock && $0.unlockedLocks.contains(LockID(lock)) }
        if !unlocks.isEmpty {
            problems.append("the audit holds \(unlocks.count) unlock row\(unlocks.count == 1 ? "" : "s") of \(lock) for the photo: "
                + unlocks[0].reason)
        }
        // Once DC001 opened the chapter stops waiting: a missing refusal would say nothing more.
        if problems.isEmpty, refusal(member: member, in: rows) == nil {
            let judged = rows.contains { $0.member?.name == member }
            problems.append("no liveness_failed row for \(member) at \(lock) within \(Console.number(giveUpAt)) story seconds"
                + (judged ? "" : " (\(member)'s face was never judged)"))
        }
        return problems
    }

    /// The figures of a `liveness_failed` reason for DC001, in words; the reason's own text
    /// for a check not explained here.
    static func explain(reason: String) -> [String] {
        guard let verdict = reason.range(of: "\(lock): liveness_failed: ") else { return [reason] }
        var lines: [String] = []
        for part in reason[verdict.upperBound...].components(separatedBy: "; ") {
            if let m = part.wholeMatch(of: #/planar: too little motion to judge: ([0-9.]+) eye distances over (\d+) frames? < ([0-9.]+)/#) {
                lines.append("too little motion to judge: over \(frames(m.2)) the face's landmarks changed shape by \(m.1) eye distances;")
                lines.append("planar needs \(m.3) before it can tell a head from a flat picture")
            } else if let m = part.wholeMatch(
                of: #/planar residual ([0-9.]+) eye distances(?: \(([0-9.]+) px\))? over (\d+) frames? < ([0-9.]+)(?: .*)?/#) {
                let pixels = m.2.map { " (\($0) px)" } ?? ""
                lines.append("one flat picture explains the face: over \(frames(m.3)) its landmarks stray \(m.1) eye distances\(pixels)")
                lines.append("from a plane seen from another angle; a real head shows at least \(m.4)")
            } else if let m = part.wholeMatch(of: #/planar: (\d+) frames? with usable landmarks, need (\d+)/#) {
                lines.append("too few frames to judge: \(frames(m.1)) with usable landmarks within the window, planar needs \(m.2)")
            } else if part.hasPrefix("confirmed by ") {
                continue
            } else {
                lines.append(part)
            }
        }
        return lines.isEmpty ? [String(reason[verdict.upperBound...])] : lines
    }

    private static func frames(_ count: Substring) -> String { count == "1" ? "1 frame" : "\(count) frames" }
}
