import BrokerCore
import Foundation
import GalleryStore
import GRDB
import ProcessSupport
import TestSupport

/// The console's decisions page over a big audit: 1,000,000 rows, one page of 50 with filters,
/// as the HTTP request time a logged-in client sees (the HTML page and the JSON API, each over
/// a fresh loopback connection), next to a plain SQLite query of the same rows on the same
/// file in the same run: the statements the server runs for a page (the rows with every
/// column, their unlock commands, which of them have a face crop), rows read but not decoded.
enum WebBench {
    struct Case {
        var name: String
        var query: [String: String]
        var filter: DecisionFilter
        var before: Int64?
    }

    static func run(rows: Int = 1_000_000, repetitions: Int = 41) throws {
        let dir = TemporaryDirectory(prefix: "fgwebbench")
        let database = dir.file("facegate.sqlite").path
        let start: Int64 = 1_764_000_000_000_000_000
        print("web console (facegate-web): decisions page of 50 over \(rows) audit rows")
        let filled = Date()
        try fill(database: database, rows: rows, startWallNs: start)
        print(String(format: "  filled the audit in %.1f s", Date().timeIntervalSince(filled)))

        let port = freeLoopbackPort()
        let config = dir.file("facegate.toml")
        try """
            [runtime]
            sockets_dir = "run"
            database = "facegate.sqlite"
            [[locks]]
            id = "DC001"
            [[locks]]
            id = "DC006"
            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001", "DC006"]
            [web]
            listen = "127.0.0.1:\(port)"
            """.write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.file("run"), withIntermediateDirectories: true)
        try "bench-password-1\n".write(to: dir.file("pw"), atomically: true, encoding: .utf8)
        let add = try ChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                   ["-c", "exec \"$0\" \"$@\" < \"$FG_STDIN\"", Paths.executable("facegate").path,
                                    "users", "add", "bench", "--role", "viewer", "--cost", "4", "--config", config.path],
                                   environment: ["FG_STDIN": dir.file("pw").path], logDirectory: dir.url, name: "users-add")
        guard add.waitForExit(timeout: 60) == 0 else { throw BenchError.failed("users add failed: \(add.log)") }
        let web = try ChildProcess(Paths.executable("facegate-web"), ["--config", config.path], logDirectory: dir.url, name: "facegate-web")
        defer { _ = web.terminate(grace: 10) }
        // Polled rather than read from its log: `make bench` runs with FACEGATE_LOG_LEVEL=warn.
        guard waitUntil(timeout: 120, interval: 0.1, { (try? httpRequest(port: port, target: "/health", http11: true))?.status == 200 }) else {
            throw BenchError.failed("facegate-web did not start: \(web.log)")
        }
        // A browser's session, logged in once: what each request then costs is the page, not
        // bcrypt (HTTP Basic would check the password on every request).
        let cookie = try logIn(port: port)

        let middle = start + Int64(rows / 2) * 1_000_000_000
        let cases = [
            Case(name: "newest page, no filter", query: [:], filter: DecisionFilter(), before: nil),
            Case(name: "camera + kind", query: ["camera": "cam-c", "kind": "no_grant"],
                 filter: DecisionFilter(kind: .noGrant, camera: "cam-c"), before: nil),
            Case(name: "member + time range, deep cursor", query: ["member": "biden", "from": iso(middle - 86_400_000_000_000),
                                                                   "to": iso(middle), "before": String(rows / 2)],
                 filter: DecisionFilter(fromWallNs: middle - 86_400_000_000_000, toWallNs: middle, member: "biden"),
                 before: Int64(rows / 2)),
            Case(name: "lock", query: ["lock": "DC001"], filter: DecisionFilter(lock: "DC001"), before: nil),
            Case(name: "kind, deep cursor", query: ["kind": "unlock", "before": String(rows / 10)],
                 filter: DecisionFilter(kind: .unlock), before: Int64(rows / 10)),
        ]
        let reader = try DatabaseQueue(path: database, configuration: { var c = Configuration(); c.readonly = true; return c }())
        for c in cases {
            let (clause, arguments) = c.filter.sql(beforeID: c.before)
            let plan = try reader.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM audit WHERE \(clause) ORDER BY id DESC LIMIT ?",
                                 arguments: StatementArguments(arguments + [51])).map { $0["detail"] as String }
            }
            print("  plan for \(c.name): \(plan.joined(separator: "; "))")
        }
        print("  case                               plain SQLite   page (HTTP)        JSON API (HTTP)    API in-server")
        for c in cases {
            var plain: [Double] = [], page: [Double] = [], api: [Double] = [], inServer: [Double] = []
            var plainIDs: [Int64] = [], pageIDs: [Int64] = [], apiIDs: [Int64] = []
            // Interleaved, so all three see the same cache and the same machine load.
            for _ in 0..<repetitions {
                let t0 = monotonicSeconds()
                plainIDs = try plainQuery(reader, c)
                plain.append((monotonicSeconds() - t0) * 1000)
                let t1 = monotonicSeconds()
                pageIDs = try fetchPage(port: port, query: c.query, cookie: cookie)
                page.append((monotonicSeconds() - t1) * 1000)
                let t2 = monotonicSeconds()
                let (ids, serverMs) = try fetchAPI(port: port, query: c.query, cookie: cookie)
                api.append((monotonicSeconds() - t2) * 1000)
                inServer.append(serverMs)
                apiIDs = ids
            }
            guard plainIDs == apiIDs, plainIDs == pageIDs, plainIDs.count == 50 else {
                throw BenchError.failed("\(c.name): the server's rows (page \(pageIDs.prefix(3))…, API \(apiIDs.prefix(3))…) differ from the plain query's \(plainIDs.prefix(3))…")
            }
            let (p, g, a, i) = (median(plain), median(page), median(api), median(inServer))
            let label = c.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            print("  " + label + String(format: " %8.3f ms   %7.3f ms %5.2fx   %7.3f ms %5.2fx   %7.3f ms", p, g, g / p, a, a / p, i))
        }
        print("  (medians of \(repetitions); HTTP = the whole request on a new loopback connection, session cookie;")
        print("   in-server = Server-Timing of /api/decisions: query, rows, JSON; the same 50 ids checked on all three)")
    }

    /// What the server reads for one page, as plain SQLite through GRDB: the rows (every
    /// column, one more than the page to know whether there is a next), their unlock commands,
    /// which have a crop. Rows are read, not decoded into records.
    static func plainQuery(_ reader: DatabaseQueue, _ c: Case) throws -> [Int64] {
        try reader.read { db in
            let (clause, arguments) = c.filter.sql(beforeID: c.before)
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE \(clause) ORDER BY id DESC LIMIT ?",
                                        arguments: StatementArguments(arguments + [51]))
            var ids: [Int64] = []
            for row in rows.prefix(50) {
                for column in 0..<row.count { _ = row[column] as DatabaseValue }
                ids.append(row[0])
            }
            if let first = ids.first, let last = ids.last {
                _ = try Row.fetchAll(db, sql: "SELECT * FROM unlock_delivery WHERE audit_id BETWEEN ? AND ? ORDER BY audit_id, lock_id",
                                     arguments: [last, first])
                _ = try Int64.fetchAll(db, sql: "SELECT audit_id FROM face_crop WHERE audit_id BETWEEN ? AND ?", arguments: [last, first])
            }
            return ids
        }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The login form's CSRF cookie and token, then the form: the session cookie.
    static func logIn(port: UInt16) throws -> String {
        let form = try httpRequest(port: port, target: "/login", http11: true)
        guard let set = form.headers["set-cookie"], let login = set.split(separator: ";").first,
              let range = form.body.range(of: #"name="csrf" value=""#),
              let end = form.body[range.upperBound...].firstIndex(of: "\"") else {
            throw BenchError.failed("GET /login: no CSRF token (\(form.status))")
        }
        let token = String(form.body[range.upperBound..<end])
        let body = "csrf=\(token)&user=bench&password=bench-password-1"
        let reply = try httpRequest(port: port, target: "/login", method: "POST", headers: [
            "Cookie": String(login), "Content-Type": "application/x-www-form-urlencoded",
        ], body: Array(body.utf8), http11: true)
        guard reply.status == 303, let session = reply.setCookies.lazy.compactMap({ $0.split(separator: ";").first })
                .first(where: { $0.hasPrefix("fg_session=") }) else {
            throw BenchError.failed("POST /login: \(reply.status) \(reply.headers)")
        }
        return String(session)
    }

    static func target(_ path: String, _ query: [String: String]) -> String {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        return components.string!
    }

    /// GET /decisions (the HTML page): the ids of its rows.
    static func fetchPage(port: UInt16, query: [String: String], cookie: String) throws -> [Int64] {
        let t = target("/decisions", query)
        let reply = try httpRequest(port: port, target: t, headers: ["Cookie": cookie], timeout: 30, http11: true)
        guard reply.status == 200 else { throw BenchError.failed("GET \(t): \(reply.status) \(reply.body.prefix(300))") }
        var ids: [Int64] = []
        var rest = reply.body[...]
        while let r = rest.range(of: "id=\"decision-") {
            let digits = rest[r.upperBound...].prefix { $0.isNumber }
            if let id = Int64(digits) { ids.append(id) }
            rest = rest[r.upperBound...]
        }
        return ids
    }

    static func iso(_ ns: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ns) / 1e9))
    }

    /// GET /api/decisions: the ids and the server's own time for them (Server-Timing).
    static func fetchAPI(port: UInt16, query: [String: String], cookie: String) throws -> ([Int64], Double) {
        let t = target("/api/decisions", query)
        let reply = try httpRequest(port: port, target: t, headers: ["Cookie": cookie], timeout: 30, http11: true)
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
              let decisions = object["decisions"] as? [[String: Any]] else {
            throw BenchError.failed("GET \(t): \(reply.status) \(reply.body.prefix(300))")
        }
        let timing = (reply.headers["server-timing"] ?? "").components(separatedBy: "dur=").last.flatMap(Double.init) ?? .nan
        return (decisions.compactMap { ($0["id"] as? NSNumber)?.int64Value }, timing)
    }

    /// Rows as the broker writes them: 4 cameras, 3 members and strangers, every kind the
    /// broker uses most, one a second.
    static func fill(database: String, rows: Int, startWallNs: Int64) throws {
        let store = try GalleryStore(path: database)
        let members = [MemberRef(id: MemberID(1), name: "obama"), MemberRef(id: MemberID(2), name: "biden"),
                       MemberRef(id: MemberID(3), name: "carol")]
        let kinds: [DecisionKind] = [.unlock, .unknownFace, .noGrant, .alreadyUnlocked, .stale]
        let batch = 20_000
        var i = 0
        while i < rows {
            var entries: [AuditEntry] = []
            entries.reserveCapacity(batch)
            for j in i..<min(rows, i + batch) {
                let kind = kinds[(j / 3) % kinds.count]
                let member = kind == .unknownFace ? nil : members[j % members.count]
                let lock = j % 2 == 0 ? "DC001" : "DC006"
                let camera = "cam-\(["a", "b", "c", "d"][(j / 7) % 4])"
                let snapshot = #"{"camera":"\#(camera)","captureTime":\#(j),"lockSessions":[{"lock":"\#(lock)","session":\#(j)}]}"#
                entries.append(AuditEntry(
                    timeWallNs: startWallNs + Int64(j) * 1_000_000_000, camera: camera, txn: DetectingTxn(rawValue: UInt64(j + 1)),
                    faceIndex: 0, captureMonotonicNs: UInt64(j) * 1_000_000_000,
                    captureWallNs: startWallNs + Int64(j) * 1_000_000_000 - 250_000_000, member: member,
                    distance: member == nil ? 0.71 : 0.38, snapshotJSON: snapshot,
                    unlockedLocks: kind == .unlock ? [LockID(lock)] : [], kind: kind, reason: "bench row \(j)"))
                if kind == .unlock {
                    let at = startWallNs + Int64(j) * 1_000_000_000
                    entries[entries.count - 1].deliveries = [UnlockDelivery(lock: LockID(lock), qos: 1, state: .published,
                                                                            outcomeWallNs: at + 2_000_000, confirmation: .confirmed,
                                                                            confirmationWallNs: at + 300_000_000)]
                }
            }
            try store.appendAudit(entries)
            i += batch
        }
    }
}

