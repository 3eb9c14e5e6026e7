import BrokerCore
import Foundation

/// The broker's status as a few lines a person can read.
struct StatusSummary {
    let status: BrokerStatus

    init(_ status: BrokerStatus) { self.status = status }

    /// The broker's JSON answer decoded; a reply that is not the broker's status names what
    /// did not fit.
    init(json: String) throws {
        do {
            status = try JSONDecoder().decode(BrokerStatus.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw StatusReplyError(reason: Self.describe(error))
        } catch {
            throw StatusReplyError(reason: "\(error)")
        }
    }

    struct StatusReplyError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    var text: String {
        let s = status
        var lines: [String] = [headline]
        lines.append("cameras (\(s.cameras.count)):")
        lines += indented(Output.table(s.cameras.map { c in
            [c.id, c.connected ? "connected" : "not connected", "received \(c.framesReceived)", "sent \(c.framesAdmitted)",
             "skipped \(c.framesSkipped)"]
        }))
        lines.append("open sessions (\(s.openSessions.count)):")
        lines += indented(Output.table(s.openSessions.map { o in
            [o.trigger, "session \(o.session)", "open \(seconds(o.openForSeconds))", "closes in \(seconds(o.closesInSeconds))",
             o.unlocked.isEmpty ? "" : "unlocked \(o.unlocked.joined(separator: ","))"]
        }))
        lines.append("recognizers (\(s.recognizers.count)):")
        lines += indented(Output.table(s.recognizers.map { r in
            [r.peer, "credits \(r.credits)", "in flight \(r.inFlight)", "sent \(r.sent)", "results \(r.results)"]
        }))
        var queue = "pending txns \(s.pendingTxns), waiting frames \(s.waitingFrames), frames dropped \(s.framesDropped), "
            + "audit failures \(s.auditFailures)"
        if let depth = s.auditQueue {
            // Frames whose rows wait for the disk, of how many may before recognizers wait.
            queue += ", audit queue \(depth)" + (s.auditQueueCapacity.map { " of \($0)" } ?? "")
        }
        lines.append(queue)
        lines.append("counters: " + s.counters.totals.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for (key, counts) in s.counters.breakdowns {
            let body = counts.isEmpty ? "none" : counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
            lines.append("\(key.replacingOccurrences(of: "_", with: " ")): \(body)")
        }
        return lines.joined(separator: "\n")
    }

    private var headline: String {
        let s = status
        let address = "\(s.mqtt.host):\(s.mqtt.port)"
        return ["\(s.process) pid \(s.pid) (run \(s.run))",
                s.mqtt.connected ? "mqtt connected to \(address)" : "mqtt NOT connected (\(address))",
                "\(s.galleryMembers) members in the gallery"].joined(separator: ", ")
    }

    private func indented(_ table: String) -> [String] {
        table.isEmpty ? ["  none"] : table.split(separator: "\n").map { "  " + $0 }
    }

    private func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

    /// `open_sessions[0].closes_in_s: expected Double, found a string`, not Foundation's paragraph.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text.isEmpty ? "the reply" : text
        }
        switch error {
        case let .keyNotFound(key, context):
            let at = path(context)
            return "\(at == "the reply" ? "" : at + ": ")no \"\(key.stringValue)\""
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return "\(path(context)): expected \(type)"
        case let .dataCorrupted(context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
