import BrokerCore
import Foundation
import GalleryStore
import GRDB
import ProcessSupport
import TestSupport

/// The console's decisions page over a big audit: 1,000,000 rows, one page of 50 with filters,
/// the server's own time for it (Server-Timing: the query and the JSON, measured inside
/// facegate-web) next to a plain SQLite query of the same rows on the same file, in the same
/// run; and the whole HTTP round trip for scale.
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
        ]
        let reader = try DatabaseQueue(path: database, configuration: { var c = Configuration(); c.readonly = true; return c }())
        print("  case                               plain SQLite   facegate-web (server)   ratio   HTTP round trip")
        for c in cases {
            var plain: [Double] = [], server: [Double] = [], roundTrip: [Double] = []
            var plainIDs: [Int64] = [], serverIDs: [Int64] = []
            // Interleaved, so both see the same cache and the same machine load.
            for _ in 0..<repetitions {
                let t0 = Date()
                plainIDs = try reader.read { db in
                    let (clause, arguments) = c.filter.sql(beforeID: c.before)
                    return try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE \(clause) ORDER BY id DESC LIMIT 50",
                                            arguments: StatementArguments(arguments)).map { $0["id"] as Int64 }
                }
                plain.append(Date().timeIntervalSince(t0) * 1000)
                let t1 = Date()
                let (ids, serverMs) = try fetch(port: port, query: c.query)
                roundTrip.append(Date().timeIntervalSince(t1) * 1000)
                server.append(serverMs)
                serverIDs = ids
            }
            guard plainIDs == serverIDs, plainIDs.count == 50 else {
                throw BenchError.failed("\(c.name): the server's rows \(serverIDs.prefix(3))… differ from the plain query's \(plainIDs.prefix(3))…")
            }
            let (p, s, r) = (median(plain), median(server), median(roundTrip))
            print(String(format: "  %-34@ %9.3f ms   %12.3f ms          %5.2fx   %9.3f ms", c.name as NSString, p, s, s / p, r))
        }
        print("  (medians of \(repetitions); server = Server-Timing of GET /api/decisions: query, rows, JSON; same 50 rows checked)")
    }

    static func iso(_ ns: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ns) / 1e9))
    }

    /// GET /api/decisions with Basic credentials: the ids and the Server-Timing duration.
    static func fetch(port: UInt16, query: [String: String]) throws -> ([Int64], Double) {
        var components = URLComponents()
        components.path = "/api/decisions"
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        let reply = try httpRequest(port: port, target: components.string!, headers: [
            "Authorization": "Basic " + Data("bench:bench-password-1".utf8).base64EncodedString(),
        ], timeout: 30, http11: true)
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
              let decisions = object["decisions"] as? [[String: Any]] else {
            throw BenchError.failed("GET \(components.string!): \(reply.status) \(reply.body.prefix(300))")
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
            }
            try store.appendAudit(entries)
            i += batch
        }
    }
}

