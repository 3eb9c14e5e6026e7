import Foundation

/// Turns what the lock simulator records and what the broker logs into narration. Only
/// changes are told: a run of frames with no face is told once, the admitted frames once per
/// snapshot, a repeated denial once. It also remembers what the explanation needs afterwards:
/// when each lock's occupancy first changed, how many unlocks the broker logged.
struct EventNarrator {
    /// lock → session id, as the broker's occupancy lines open and close them.
    private var openSessions: [String: String] = [:]
    private var lastAdmittedLocks: [String]?
    /// txn → the frame's sequence number (per capture process), for telling results by frame.
    private var admittedFrames: [String: String] = [:]
    private var noFaceRun = 0
    private var lastDenial: String?
    /// (lock, "true" | "false" | "command") → when it first happened.
    private(set) var firstEvents: [String: UInt64] = [:]
    private(set) var unlockCount = 0

    func firstEvent(_ lock: String, _ what: String) -> UInt64? { firstEvents["\(lock) \(what)"] }

    /// A new capture process numbers its frames from 1 again: its first admitted frame is told.
    mutating func newCamera() { lastAdmittedLocks = nil }

    mutating func tell(record: LockRecord, at ns: UInt64) -> NarrationLine? {
        let lock = record.lock ?? "?"
        switch record.event {
        case "occupancy":
            let value = record.occupancy == true ? "true" : "false"
            remember(lock, value, ns)
            let note = record.occupancy == true ? "" : " (10 s after its last touch)"
            return NarrationLine(ns: ns, who: "lock \(lock)",
                                 text: "publishes zigbee2mqtt/\(lock) {\"occupancy\":\(value)}\(note)")
        case "command":
            remember(lock, "command", ns)
            let bolt = record.lockState ?? "unchanged (\(record.error ?? "no reason given"))"
            return NarrationLine(ns: ns, who: "lock \(lock)",
                                 text: "received \(record.payload ?? "?") on \(record.topic ?? "?"): the bolt is now \(bolt)")
        default:
            return nil
        }
    }

    mutating func tell(brokerLine fields: [String: String], at ns: UInt64) -> NarrationLine? {
        func say(_ text: String) -> NarrationLine { NarrationLine(ns: ns, who: "broker", text: text) }
        let msg = fields["msg"] ?? ""
        switch msg {
        case "occupancy true", "occupancy false":
            let lock = fields["lock"] ?? "?"
            let change = fields["change"] ?? ""
            let what: String
            // change is e.g. "opened(34888eab00000001, replacingExpired: nil)" or "closed(…)".
            if let open = change.firstIndex(of: "("), ["opened", "closed", "refreshed"].contains(change[..<open]),
               let session = change[change.index(after: open)...].split(whereSeparator: { !$0.isLetter && !$0.isNumber }).first {
                switch change[..<open] {
                case "opened":
                    openSessions[lock] = String(session)
                    what = "opens session \(session)"
                case "closed":
                    openSessions[lock] = nil
                    what = "closes session \(session)"
                default:  // refreshed: a new touch while the session was open
                    what = "keeps session \(session) open"
                }
            } else {
                what = "changes nothing (\(change))"
            }
            let open = openSessions.keys.sorted()
            let tail = open.isEmpty
                ? "no lock session open: frames captured from now on are not recognized at all"
                : "frames captured from now on are recognized with snapshot \(Self.braces(open))"
            return say("\(lock) \(what); \(tail)")
        case "frame admitted":
            let locks = Self.locks(ofSnapshot: fields["snapshot"] ?? "")
            let txn = fields["txn"] ?? "?"
            admittedFrames[txn] = fields["seq"]
            guard locks != lastAdmittedLocks else { return nil }
            lastAdmittedLocks = locks
            return say("frame \(fields["seq"] ?? "?") admitted with snapshot \(Self.braces(locks)), txn \(txn), queued for a recognizer")
        case "no face in frame":
            noFaceRun += 1
            lastDenial = nil
            guard noFaceRun == 1 else { return nil }
            return say("frame \(fields["seq"] ?? "?"): the recognizer found no face in it (repeats are not shown)")
        case "UNLOCK":
            noFaceRun = 0
            unlockCount += 1
            return say("frame \(frame(of: fields)): \(fields["member"] ?? "?") -> UNLOCK \(fields["locks"] ?? "?") (\(fields["reason"] ?? ""))")
        case _ where msg.hasPrefix("deny "):
            noFaceRun = 0
            let kind = String(msg.dropFirst(5))
            guard kind != lastDenial else { return nil }
            lastDenial = kind
            return say("frame \(frame(of: fields)): \(fields["member"] ?? "?") -> no unlock: \(kind) (\(fields["reason"] ?? ""))")
        case "dropped frames no recognizer took in time":
            let count = fields["count"] ?? "?"
            return say("\(count) frame\(count == "1" ? "" : "s") dropped unjudged: no recognizer took "
                + "\(count == "1" ? "it" : "them") before \(count == "1" ? "it was" : "they were") older than max_decision_age")
        case "peer connected" where fields["peer", default: ""].hasPrefix("capture"):
            return say("camera cam-a connected (\(fields["peer"] ?? ""))")
        default:
            guard let level = fields["level"], level == "warn" || level == "error" else { return nil }
            return say("\(level): \(msg)")
        }
    }

    private func frame(of fields: [String: String]) -> String {
        fields["txn"].flatMap { admittedFrames[$0] } ?? "?"
    }

    private mutating func remember(_ lock: String, _ what: String, _ ns: UInt64) {
        if firstEvents["\(lock) \(what)"] == nil { firstEvents["\(lock) \(what)"] = ns }
    }

    /// `{DC001#3785432351895453697,DC006#…}` (the broker's snapshot field) → [DC001, DC006].
    static func locks(ofSnapshot text: String) -> [String] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
        return inner.split(separator: ",").compactMap { part -> String? in
            guard let lock = part.split(separator: "#").first else { return nil }
            let name = lock.trimmingCharacters(in: .whitespaces)
            return name.isEmpty ? nil : name
        }
    }

    static func braces(_ locks: [String]) -> String {
        "{" + locks.joined(separator: ", ") + "}"
    }
}
