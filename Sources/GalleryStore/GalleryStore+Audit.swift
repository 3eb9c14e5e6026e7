import BrokerCore
import Foundation
import GRDB

extension AuditEntry {
    /// The audit row for one engine decision.
    ///
    /// - Parameters:
    ///   - timeWallNs: when the decision was made (wall clock, ns since the Unix epoch).
    ///   - captureWallNs: the frame's wall-clock capture time from the capture process.
    public init(decision: Decision, timeWallNs: Int64, captureWallNs: Int64?) {
        self.init(timeWallNs: timeWallNs, camera: decision.camera?.rawValue, txn: decision.txn,
                  faceIndex: decision.faceIndex, captureMonotonicNs: decision.snapshot?.captureTime.nanoseconds,
                  captureWallNs: captureWallNs, member: decision.member, distance: decision.distance,
                  snapshotJSON: decision.snapshot.map(AuditJSON.encode), unlockedLocks: decision.unlockedLocks,
                  kind: decision.kind, reason: decision.reason)
    }

    /// The stored snapshot, decoded.
    public func snapshot() throws -> CaptureSnapshot? {
        try snapshotJSON.map { try JSONDecoder().decode(CaptureSnapshot.self, from: Data($0.utf8)) }
    }
}

enum AuditJSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Snapshots and lock lists hold only strings and integers: encoding cannot fail.
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

extension GalleryStore {
    /// Appends one audit row; the commit is synced to disk before this returns.
    @discardableResult
    public func appendAudit(_ entry: AuditEntry) throws -> Int64 {
        try appendAudit([entry])[0]
    }

    /// Appends several rows (the faces of one result) in one transaction.
    @discardableResult
    public func appendAudit(_ entries: [AuditEntry]) throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        return try pool.write { db in
            try entries.map { e in
                try db.execute(sql: """
                    INSERT INTO audit (time_wall_ns, camera, txn, face_index, capture_mono_ns, capture_wall_ns, member_id,
                                       member_name, distance, snapshot_json, unlocked_json, decision, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        e.timeWallNs, e.camera, e.txn.description, e.faceIndex,
                        e.captureMonotonicNs.map { Int64(bitPattern: $0) }, e.captureWallNs,
                        e.member?.id.rawValue, e.member?.name, e.distance, e.snapshotJSON,
                        AuditJSON.encode(e.unlockedLocks.map(\.rawValue)), e.kind.rawValue, e.reason,
                    ])
                return db.lastInsertedRowID
            }
        }
    }

    /// The last `limit` rows, oldest first; with `afterID`, the first `limit` rows after it
    /// (what `audit tail --follow` polls with the last id it printed).
    public func auditTail(limit: Int, afterID: Int64? = nil) throws -> [AuditRecord] {
        guard limit > 0 else { throw GalleryStoreError.invalidField(name: "limit", reason: "must be at least 1, got \(limit)") }
        return try pool.read { db in
            let rows: [Row]
            if let afterID {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?",
                                        arguments: [afterID, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id",
                                        arguments: [limit])
            }
            return try rows.map(Self.auditRecord)
        }
    }

    /// The id of the newest audit row, 0 when there is none.
    public func lastAuditID() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM audit") ?? 0 }
    }

    static func auditRecord(_ row: Row) throws -> AuditRecord {
        let id: Int64 = row["id"]
        func corrupt(_ reason: String) -> GalleryStoreError { .corruptRow(table: "audit", id: id, reason: reason) }
        let kindText: String = row["decision"]
        guard let kind = DecisionKind(rawValue: kindText) else { throw corrupt("unknown decision kind \(kindText)") }
        let txnText: String = row["txn"]
        guard let txn = DetectingTxn(hex: txnText) else { throw corrupt("txn \(txnText) is not hex") }
        let unlockedText: String = row["unlocked_json"]
        guard let unlocked = try? JSONDecoder().decode([String].self, from: Data(unlockedText.utf8)) else {
            throw corrupt("unlocked locks are not a JSON list of strings")
        }
        let memberID: Int64? = row["member_id"]
        let memberName: String? = row["member_name"]
        let mono: Int64? = row["capture_mono_ns"]
        let entry = AuditEntry(
            timeWallNs: row["time_wall_ns"], camera: row["camera"], txn: txn, faceIndex: row["face_index"],
            captureMonotonicNs: mono.map { UInt64(bitPattern: $0) }, captureWallNs: row["capture_wall_ns"],
            member: memberID.flatMap { id in memberName.map { MemberRef(id: MemberID(id), name: $0) } },
            distance: row["distance"], snapshotJSON: row["snapshot_json"], unlockedLocks: unlocked.map { LockID($0) },
            kind: kind, reason: row["reason"])
        return AuditRecord(id: id, entry: entry)
    }
}
