import BrokerCore
import Foundation
import GalleryStore
import Hummingbird

extension Console {
    func addLiveRoutes(_ router: Router<ConsoleContext>) {
        router.get("/") { [self] _, context in
            var body = ""
            do {
                let (_, status) = try await broker.status()
                body += brokerSection(status)
            } catch {
                body += "<p class=\"err\" id=\"broker-error\">\(html("\(error)"))</p>"
            }
            let recent = try store.auditTail(limit: 20)
            body += """
                <h2>Decisions as they happen</h2>
                <table id="live-decisions"><thead><tr><th>Time</th><th>Camera</th><th>Member</th><th>Decision</th><th>Locks opened</th><th>Why</th></tr></thead>
                <tbody>\(recent.reversed().map(liveRow).joined())</tbody></table>
                <script>
                const rows = document.querySelector('#live-decisions tbody');
                const events = new EventSource('/events?after=\(recent.last?.id ?? 0)');
                events.addEventListener('decision', e => {
                  const t = document.createElement('template');
                  t.innerHTML = JSON.parse(e.data).row.trim();
                  rows.prepend(t.content.firstChild);
                });
                </script>
                """
            return Layout.page("Live", active: "/", who: context.who, body)
        }

        router.get("/events") { [self] request, _ in
            let after = request.uri.queryParameters.get("after").flatMap { Int64($0) }
            let start = try after ?? store.lastAuditID()
            let store = store
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: ResponseBody { [self] writer in
                                var sinceWrite = 0.0
                                var last = start
                                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                                while !isStopping, !Task.isCancelled {
                                    let fresh = try store.auditTail(limit: 100, afterID: last)
                                    for record in fresh {
                                        let event = ["id": record.id, "row": liveRow(record)] as [String: Any]
                                        try await writer.write(ByteBuffer(string: "id: \(record.id)\nevent: decision\ndata: \(JSON.encode(event))\n\n"))
                                        last = record.id
                                        sinceWrite = 0
                                    }
                                    if sinceWrite >= 15 {
                                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                                        sinceWrite = 0
                                    }
                                    try await Task.sleep(nanoseconds: 250_000_000)
                                    sinceWrite += 0.25
                                }
                                try await writer.finish(nil)
                            })
        }
    }

    func liveRow(_ r: AuditRecord) -> String {
        let e = r.entry
        return """
            <tr id="decision-\(r.id)" class="decision"><td><a href="/decisions/\(r.id)">\(html(Layout.isoTime(e.timeWallNs)))</a></td>\
            <td>\(html(e.camera ?? "-"))</td><td>\(html(e.member?.name ?? "unknown"))</td>\
            <td class="\(e.kind.rawValue)">\(e.kind.rawValue)</td><td>\(html(e.unlockedLocks.map(\.rawValue).joined(separator: ", ")))</td>\
            <td>\(html(e.reason))</td></tr>
            """
    }

    func brokerSection(_ s: BrokerStatus) -> String {
        let cameras = s.cameras.map { c -> String in
            "<div class=\"card camera\"><strong>\(html(c.id))</strong><br>\(c.connected ? "connected" : "<span class=\"err\">not connected</span>")"
                + "<br><span class=\"note\">frames \(c.framesReceived), sent \(c.framesAdmitted), skipped \(c.framesSkipped)</span></div>"
        }.joined()
        let open = Dictionary(grouping: s.openSessions, by: \.trigger)
        let locks = setup.locks.map { lock -> String in
            let sessions = open["lock " + lock] ?? []
            let state = sessions.isEmpty ? "idle" : sessions.map { "touched, open \(String(format: "%.1f", $0.openForSeconds)) s" }.joined(separator: "; ")
            return "<div class=\"card lock\" data-lock=\"\(html(lock))\"><strong>\(html(lock))</strong><br>\(html(state))</div>"
        }.joined()
        let otherSessions = s.openSessions.filter { !setup.locks.map { "lock " + $0 }.contains($0.trigger) }.map {
            "<li>\(html($0.trigger)): session \($0.session), open \(String(format: "%.1f", $0.openForSeconds)) s</li>"
        }.joined()
        return """
            <p id="broker-health">broker pid \(s.pid): MQTT \(s.mqtt.connected ? "connected" : "<span class=\"err\">NOT connected</span>"), \
            \(s.recognizers.count) recognizer\(s.recognizers.count == 1 ? "" : "s"), \(s.galleryMembers) members, \
            audit failures \(s.auditFailures)</p>
            <h2>Cameras</h2><div class="cards">\(cameras.isEmpty ? "<p class=\"note\">none connected</p>" : cameras)</div>
            <h2>Locks</h2><div class="cards">\(locks)</div>
            \(otherSessions.isEmpty ? "" : "<h2>Other open sessions</h2><ul>\(otherSessions)</ul>")
            """
    }
}
