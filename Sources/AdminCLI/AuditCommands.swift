import ArgumentParser
import Foundation
import GalleryStore
import ProcessSupport

struct AuditGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log: one row per decision the broker made.",
        subcommands: [AuditTail.self]
    )
}

struct AuditTail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the last audit rows, and with --follow every new one as it is written.",
        discussion: """
        Every decision of the broker, unlock or deny, is one row. Text output is one line per row \
        in logfmt after the local time:

          TIME camera= txn= member= distance= snapshot= unlocked= kind= reason=

        txn is the frame's detecting_txn (16 hex digits, the first 8 name the broker run; grep the \
        logs and the tap for it); member is "unknown" when no member was recognized; distance is \
        to the matched (or nearest) member; snapshot lists the locks whose keypads were touched \
        when the frame was captured (motion[L1+L2] when the camera's motion trigger was on); \
        unlocked lists the locks opened ("-" for none); kind is unlock, unknown_face, ambiguous, \
        no_grant, outside_zone, already_unlocked, awaiting_confirmation, not_confirmed, \
        liveness_failed, too_soon, unlock_failed, implausible, trigger_suspended, session_forgotten, \
        stale, unknown_txn, recognizer_error or empty_snapshot. For a lock with a policy the reason \
        names the frames (txns) that confirmed an unlock, or the liveness figures that denied it.

        With --json: one JSON object per line with id, time (UTC), time_wall_ns, camera, txn, \
        face_index, capture_monotonic_ns, capture_wall_ns, member, member_id, distance, snapshot \
        (the stored capture snapshot), unlocked, kind and reason.

        With --follow: after the last rows, checks for new rows every 200 ms and prints them \
        until interrupted (SIGINT or SIGTERM, exit 0).
        """)

    // .unconditional: "-n -1" is a value to refuse with a reason, not an unknown flag.
    @Option(name: .short, parsing: .unconditional, help: ArgumentHelp("How many of the last rows to print first (at least 1).", valueName: "n"))
    var n = 10

    @Flag(help: "Keep printing new rows as they are written.")
    var follow = false

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if n < 1 { throw ValidationError("-n \(n): must be at least 1 (the number of rows to print).") }
    }

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let format = AuditLineFormat(json: json)
        var lastID: Int64
        if n > 0 {
            let rows = try store.auditTail(limit: n)
            let cropped = try store.auditIDsWithCrop(rows.map(\.id))
            rows.forEach { print(format.line($0, crop: cropped.contains($0.id))) }
            lastID = try rows.last?.id ?? store.lastAuditID()
        } else {
            lastID = try store.lastAuditID()
        }
        flushStandardOutput()
        guard follow else { return }

        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.stop() }
        defer { withExtendedLifetime(watcher) {} }
        while !stop.wait(seconds: 0.2) {
            // A burst larger than one page is read page by page, in order.
            while true {
                let rows = try store.auditTail(limit: 500, afterID: lastID)
                guard let last = rows.last else { break }
                let cropped = try store.auditIDsWithCrop(rows.map(\.id))
                rows.forEach { print(format.line($0, crop: cropped.contains($0.id))) }
                flushStandardOutput()
                lastID = last.id
            }
        }
    }
}
