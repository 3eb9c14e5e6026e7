import BrokerCore
import Foundation
import GalleryStore
import Hummingbird

/// The decisions page's and API's query string: filters, the keyset cursor, the page size.
struct DecisionQuery {
    var filter = DecisionFilter()
    var before: Int64?
    var limit = 50

    /// Each bad parameter is named with what was wrong.
    init(_ query: (String) -> String?) throws {
        func time(_ key: String) throws -> Int64? {
            guard let text = query(key), !text.isEmpty else { return nil }
            if let ns = Self.parseTime(text) { return ns }
            throw HTTPError(.badRequest, message: "\(key): \"\(text)\" is not a time such as 2026-12-02T13:05:00Z or 2026-12-02T13:05")
        }
        func text(_ key: String) -> String? { query(key).flatMap { $0.isEmpty ? nil : $0 } }
        filter.fromWallNs = try time("from")
        filter.toWallNs = try time("to")
        filter.member = text("member")
        filter.camera = text("camera")
        if let lock = text("lock") {
            guard lock.count <= 128, !lock.contains(where: { "\"%_\\/#+ ".contains($0) }) else {
                throw HTTPError(.badRequest, message: "lock: \"\(lock)\" is not a lock id")
            }
            filter.lock = lock
        }
        if let kind = text("kind") {
            guard let parsed = DecisionKind(rawValue: kind) else {
                throw HTTPError(.badRequest, message: "kind: \"\(kind)\" is not one of \(DecisionKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.kind = parsed
        }
        if let b = text("before") {
            guard let id = Int64(b), id > 0 else { throw HTTPError(.badRequest, message: "before: \"\(b)\" is not a positive decision id") }
            before = id
        }
        if let l = text("limit") {
            guard let n = Int(l), (1...GalleryStore.maxDecisionPageSize).contains(n) else {
                throw HTTPError(.badRequest, message: "limit: \"\(l)\" is not 1 to \(GalleryStore.maxDecisionPageSize)")
            }
            limit = n
        }
    }

    /// RFC 3339 with or without fractions and zone (a zone-less time is UTC, as the browser's
    /// datetime-local field sends it).
    static func parseTime(_ text: String) -> Int64? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        var candidates = [text]
        if text.count == 16 { candidates.append(text + ":00Z") }
        if text.count == 19 { candidates.append(text + "Z") }
        for c in candidates {
            if let d = full.date(from: c) ?? plain.date(from: c) {
                let ns = d.timeIntervalSince1970 * 1e9
                guard ns.isFinite, abs(ns) < 9e18 else { return nil }
                return Int64(ns)
            }
        }
        return nil
    }

    /// The same filters as a query string, with another cursor.
    func queryString(before: Int64?) -> String {
        var items: [(String, String)] = []
        if let f = filter.fromWallNs { items.append(("from", Layout.isoTime(f))) }
        if let t = filter.toWallNs { items.append(("to", Layout.isoTime(t))) }
        if let m = filter.member { items.append(("member", m)) }
        if let l = filter.lock { items.append(("lock", l)) }
        if let k = filter.kind { items.append(("kind", k.rawValue)) }
        if let c = filter.camera { items.append(("camera", c)) }
        if let before { items.append(("before", String(before))) }
        if limit != 50 { items.append(("limit", String(limit))) }
        return items.map { "\($0.0)=\(urlComponent($0.1))" }.joined(separator: "&")
    }
}

extension Console {
    func addDecisionRoutes(_ router: Router<ConsoleContext>) {
        router.get("/decisions") { [self] request, context in
            let query = try DecisionQuery { request.uri.queryParameters.get($0) }
            let page = try store.decisions(query.filter, beforeID: query.before, limit: query.limit)
            let withCrop = try store.auditIDsWithCrop(page.records.map(\.id))
            let f = query.filter
            func option(_ value: String, _ selected: String?) -> String {
                "<option\(value == selected ? " selected" : "")>\(html(value))</option>"
            }
            let form = """
                <form method="get" action="/decisions" id="filters"><fieldset>
                <label>From <input type="datetime-local" name="from" value="\(f.fromWallNs.map { html(String(Layout.isoTime($0).prefix(16))) } ?? "")"></label>
                <label>To <input type="datetime-local" name="to" value="\(f.toWallNs.map { html(String(Layout.isoTime($0).prefix(16))) } ?? "")"></label>
                <label>Member <input name="member" value="\(html(f.member ?? ""))" size="10"></label>
                <label>Lock <select name="lock"><option value="">any</option>\(setup.locks.map { option($0, f.lock) }.joined())</select></label>
                <label>Kind <select name="kind"><option value="">any</option>\(DecisionKind.allCases.map { option($0.rawValue, f.kind?.rawValue) }.joined())</select></label>
                <label>Camera <select name="camera"><option value="">any</option>\(setup.cameras.map { option($0.id, f.camera) }.joined())</select></label>
                <button>Filter</button></fieldset></form>
                """
            let rows = page.records.map { r -> String in
                let e = r.entry
                return """
                    <tr class="decision" id="decision-\(r.id)"><td>\(cropImages(r.id, exists: withCrop.contains(r.id)))</td>\
                    <td><a href="/decisions/\(r.id)">\(html(Layout.isoTime(e.timeWallNs)))</a></td><td>\(html(e.camera ?? "-"))</td>\
                    <td>\(html(e.member?.name ?? "unknown"))\(e.distance.map { " <span class=\"note\">\(String(format: "%.3f", $0))</span>" } ?? "")</td>\
                    <td class="\(e.kind.rawValue)">\(e.kind.rawValue)</td><td>\(html(e.unlockedLocks.map(\.rawValue).joined(separator: ", ")))</td>\
                    <td>\(html(e.reason))</td></tr>
                    """
            }.joined()
            let next = page.nextBeforeID.map { "<p><a id=\"older\" href=\"/decisions?\(html(query.queryString(before: $0)))\">Older decisions</a></p>" } ?? ""
            return Layout.page("Decisions", active: "/decisions", who: context.who, """
                \(form)
                <table id="decisions"><thead><tr><th>Face</th><th>Time</th><th>Camera</th><th>Member</th><th>Decision</th><th>Opened</th><th>Why</th></tr></thead>
                <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"note\">no decisions match</td></tr>" : rows)</tbody></table>
                \(next)
                """)
        }

        router.get("/decisions/{id}") { [self] _, context in
            let record = try decisionRecord(context)
            let e = record.entry
            let snapshot = try? e.snapshot()
            let deliveries = e.deliveries.map { "<li>\(html($0.lock.rawValue)): \(html($0.summary))\($0.detail.map { " (\(html($0)))" } ?? "")</li>" }.joined()
            return Layout.page("Decision \(record.id)", active: "/decisions", who: context.who, """
                <div class="cards"><div>\(cropImages(record.id, exists: (try? store.auditIDsWithCrop([record.id]))?.isEmpty == false))</div><div>
                <p><strong class="\(e.kind.rawValue)">\(e.kind.rawValue)</strong> at \(html(Layout.isoTime(e.timeWallNs))) on \(html(e.camera ?? "-"))</p>
                <p>Member: \(html(e.member?.name ?? "unknown"))\(e.distance.map { ", distance \(String(format: "%.3f", $0))" } ?? "")</p>
                <p>Why: \(html(e.reason))</p>
                <p>Locks in the frame's snapshot: \(html(snapshot?.triggeredLocks.map(\.rawValue).joined(separator: ", ") ?? "none"))</p>
                \(deliveries.isEmpty ? "" : "<p>Commands:</p><ul>\(deliveries)</ul>")
                </div></div>
                <h2>Timeline</h2>
                <figure id="timeline">\(TimelineSVG.render(timeline(record)))
                <figcaption class="note">Bars: each lock's touch sessions; blue line: the frame's capture; red dashed line: the decision.</figcaption></figure>
                """)
        }

        router.get("/decisions/{id}/timeline.svg") { [self] _, context in
            let record = try decisionRecord(context)
            return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: TimelineSVG.render(timeline(record)))))
        }
    }

    func decisionRecord(_ context: ConsoleContext) throws -> AuditRecord {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw HTTPError(.badRequest, message: "decision id \"\(text)\" is not a positive integer") }
        guard let record = try store.auditRecord(id: id) else { throw HTTPError(.notFound, message: "no decision \(id)") }
        return record
    }

    /// The timeline's lanes: the camera's locks and any lock the snapshot or the decision
    /// names, with the sessions the broker recorded for them.
    func timeline(_ record: AuditRecord) -> DecisionTimeline {
        let e = record.entry
        let snapshotLocks = Set(((try? e.snapshot())?.triggeredLocks ?? []).map(\.rawValue))
        let opened = Set(e.unlockedLocks.map(\.rawValue))
        let cameraLocks = setup.cameras.first { $0.id == e.camera }?.locks ?? []
        var lanes: [String] = cameraLocks
        for lock in (snapshotLocks.union(opened)).sorted() where !lanes.contains(lock) { lanes.append(lock) }
        let sessions = (try? store.lockSessions(locks: lanes, aroundWallNs: e.captureWallNs ?? e.timeWallNs)) ?? [:]
        return DecisionTimeline(captureNs: e.captureWallNs, decisionNs: e.timeWallNs, lanes: lanes.map { lock in
            DecisionTimeline.Lane(lock: lock, sessions: (sessions[lock] ?? []).map { .init(startNs: $0.startWallNs, endNs: $0.endWallNs) },
                                  inSnapshot: snapshotLocks.contains(lock), opened: opened.contains(lock))
        })
    }

    /// The decision's face crop(s), if the recognizer sent one.
    func cropImages(_ id: Int64, exists: Bool) -> String {
        guard exists else { return "<span class=\"crop note\"></span>" }
        return "<img class=\"crop\" alt=\"face of decision \(id)\" src=\"/decisions/\(id)/crop\">"
    }
}
