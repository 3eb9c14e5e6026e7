import Foundation

/// The broker's status JSON as a few lines a person can read. Tolerant: a key the broker does
/// not send is left out, one this code does not know still shows under counters.
struct StatusSummary {
    let object: [String: Any]

    init(_ object: [String: Any]) { self.object = object }

    var text: String {
        var lines: [String] = [headline]
        let cameras = list("cameras")
        lines.append("cameras (\(cameras.count)):")
        lines += indented(Output.table(cameras.map { c in
            [string(c["id"]), bool(c["connected"]) ? "connected" : "not connected",
             "received \(number(c["frames_received"]))", "sent \(number(c["frames_admitted"]))",
             "skipped \(number(c["frames_skipped"]))"]
        }))
        let sessions = list("open_sessions")
        lines.append("open sessions (\(sessions.count)):")
        lines += indented(Output.table(sessions.map { s in
            let unlocked = (s["unlocked"] as? [String]) ?? []
            return [string(s["trigger"]), "session \(string(s["session"]))", "open \(seconds(s["open_for_s"]))",
                    "closes in \(seconds(s["closes_in_s"]))", unlocked.isEmpty ? "" : "unlocked \(unlocked.joined(separator: ","))"]
        }))
        let recognizers = list("recognizers")
        lines.append("recognizers (\(recognizers.count)):")
        lines += indented(Output.table(recognizers.map { r in
            [string(r["peer"]), "credits \(number(r["credits"]))", "in flight \(number(r["in_flight"]))",
             "sent \(number(r["sent"]))", "results \(number(r["results"]))"]
        }))
        var queue = ["pending_txns", "waiting_frames", "frames_dropped", "audit_failures"]
            .filter { object[$0] != nil }.map { "\($0.replacingOccurrences(of: "_", with: " ")) \(number(object[$0]))" }
        if object["audit_queue"] != nil {
            // Frames whose rows wait for the disk, of how many may before recognizers wait.
            queue.append("audit queue \(number(object["audit_queue"]))"
                + (object["audit_queue_capacity"].map { " of \(number($0))" } ?? ""))
        }
        if !queue.isEmpty { lines.append(queue.joined(separator: ", ")) }
        if let counters = object["counters"] as? [String: Any] {
            let scalars = counters.keys.sorted().filter { !(counters[$0] is [String: Any]) }
            lines.append("counters: " + scalars.map { "\($0) \(number(counters[$0]))" }.joined(separator: ", "))
            for key in counters.keys.sorted() {
                guard let nested = counters[key] as? [String: Any] else { continue }
                let body = nested.isEmpty ? "none" : nested.keys.sorted().map { "\($0) \(number(nested[$0]))" }.joined(separator: ", ")
                lines.append("\(key.replacingOccurrences(of: "_", with: " ")): \(body)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private var headline: String {
        var parts = ["\(string(object["process"], default: "broker")) pid \(number(object["pid"]))"]
        if let run = object["run"] as? String { parts[0] += " (run \(run))" }
        if let mqtt = object["mqtt"] as? [String: Any] {
            let address = "\(string(mqtt["host"])):\(number(mqtt["port"]))"
            parts.append(bool(mqtt["connected"]) ? "mqtt connected to \(address)" : "mqtt NOT connected (\(address))")
        }
        if object["gallery_members"] != nil { parts.append("\(number(object["gallery_members"])) members in the gallery") }
        return parts.joined(separator: ", ")
    }

    private func list(_ key: String) -> [[String: Any]] { object[key] as? [[String: Any]] ?? [] }

    private func indented(_ table: String) -> [String] {
        table.isEmpty ? ["  none"] : table.split(separator: "\n").map { "  " + $0 }
    }

    private func string(_ value: Any?, default fallback: String = "?") -> String {
        value.map { "\($0)" } ?? fallback
    }

    private func number(_ value: Any?) -> String {
        switch value {
        case let n as NSNumber: n.stringValue
        case let s as String: s
        default: "?"
        }
    }

    private func bool(_ value: Any?) -> Bool { (value as? NSNumber)?.boolValue ?? false }

    private func seconds(_ value: Any?) -> String {
        guard let n = value as? NSNumber else { return "?" }
        return String(format: "%.1f s", n.doubleValue)
    }
}
