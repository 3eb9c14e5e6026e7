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

    /// The stored snapshot, decoded. A caller decoding many rows passes one decoder for all
    /// of them (making a JSONDecoder costs more than decoding a snapshot).
    public func snapshot(decoder: JSONDecoder = JSONDecoder()) throws -> CaptureSnapshot? {
        try snapshotJSON.map { try decoder.decode(CaptureSnapshot.self, from: Data($0.utf8)) }
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

    /// Appends several rows (the faces of one result) and their unlock deliveries in one
    /// transaction, synced before this returns: the broker publishes a command only after its
    /// row is on disk, so a crash can leave a row without a command, never the reverse.
    @discardableResult
    public func appendAudit(_ entries: [AuditEntry]) throws -> [Int64] {
        try appendAudit(entries, crops: [])
    }

    /// As `appendAudit(_:)`, and `crops[i]` (when there is one) kept with row `i`, in the same
    /// transaction: a face's crop is never without its row, and a row is never held up by a
    /// crop (crops are checked when made, see `AuditCrop`). `crops` may be shorter than
    /// `entries`.
    @discardableResult
    public func appendAudit(_ entries: [AuditEntry], crops: [AuditCrop?]) throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        let now = wallClock()
        return try pool.write { db in
            try entries.enumerated().map { index, e in
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
                let id = db.lastInsertedRowID
                for d in e.deliveries {
                    try db.execute(sql: """
                        INSERT INTO unlock_delivery (audit_id, lock_id, qos, state, detail, outcome_wall_ns,
                                                     confirmation, confirmation_wall_ns)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [id, d.lock.rawValue, d.qos, d.state.rawValue, d.detail, d.outcomeWallNs,
                                         d.confirmation?.rawValue, d.confirmationWallNs])
                }
                if index < crops.count, let crop = crops[index] {
                    try Self.insertCrop(db, FaceCrop(auditID: id, format: crop.format, width: crop.width, height: crop.height,
                                                     image: crop.image, createdWallNs: now, descriptor: crop.descriptor,
                                                     model: crop.model, detector: crop.detector))
                }
                return id
            }
        }
    }

    /// Records the publish outcome of one command of row `auditID`, and keeps the row honest
    /// in the same transaction: `unlocked` lists only locks not known to have failed, and a
    /// row none of whose commands went out becomes `unlock_failed`, the causes in its reason.
    public func recordDelivery(auditID: Int64, lock: LockID, state: UnlockDelivery.State, detail: String?,
                               wallNs: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE unlock_delivery SET state = ?, detail = ?, outcome_wall_ns = ?
                WHERE audit_id = ? AND lock_id = ?
                """, arguments: [state.rawValue, detail, wallNs, auditID, lock.rawValue])
            guard db.changesCount == 1 else {
                throw GalleryStoreError.invalidField(name: "delivery", reason: "audit row \(auditID) has no command for \(lock)")
            }
            try Self.reconcile(db, auditID: auditID)
        }
    }

    /// Records whether the lock confirmed the command of row `auditID`.
    public func recordConfirmation(auditID: Int64, lock: LockID, _ confirmation: UnlockDelivery.Confirmation,
                                   wallNs: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE unlock_delivery SET confirmation = ?, confirmation_wall_ns = ?
                WHERE audit_id = ? AND lock_id = ? AND confirmation IS NULL
                """, arguments: [confirmation.rawValue, wallNs, auditID, lock.rawValue])
        }
    }

    /// At start: commands still `pending` were left by a broker that stopped between writing
    /// the row and learning the outcome. They may or may not have gone out: `unknown`.
    @discardableResult
    public func closeInterruptedDeliveries(wallNs: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE unlock_delivery SET state = 'unknown', outcome_wall_ns = ?,
                       detail = 'the broker stopped before the publish outcome was known'
                WHERE state = 'pending'
                """, arguments: [wallNs])
            return db.changesCount
        }
    }

    private static func reconcile(_ db: Database, auditID: Int64) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT lock_id, state, detail FROM unlock_delivery WHERE audit_id = ? ORDER BY lock_id",
                                    arguments: [auditID])
        let kept = rows.filter { ($0["state"] as String) != UnlockDelivery.State.failed.rawValue }.map { $0["lock_id"] as String }
        let failed = rows.filter { ($0["state"] as String) == UnlockDelivery.State.failed.rawValue }
        guard !failed.isEmpty else { return }
        let causes = failed.map { "\($0["lock_id"] as String) (\(($0["detail"] as String?) ?? "failed"))" }.joined(separator: ", ")
        let base = try String.fetchOne(db, sql: "SELECT reason FROM audit WHERE id = ?", arguments: [auditID]) ?? ""
        let marker = "; NOT DELIVERED: "
        let reason = (base.components(separatedBy: marker).first ?? base) + marker + causes
        try db.execute(sql: "UPDATE audit SET unlocked_json = ?, decision = ?, reason = ? WHERE id = ?", arguments: [
            AuditJSON.encode(kept), kept.isEmpty ? DecisionKind.unlockFailed.rawValue : DecisionKind.unlock.rawValue,
            reason, auditID,
        ])
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
            let decoder = JSONDecoder()
            return try Self.withDeliveries(db, try rows.map { try Self.auditRecord($0, decoder: decoder) })
        }
    }

    /// Row `id`, with its deliveries; nil when there is none.
    public func auditRecord(id: Int64) throws -> AuditRecord? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM audit WHERE id = ?", arguments: [id]) else { return nil }
            return try Self.withDeliveries(db, [Self.auditRecord(row, decoder: JSONDecoder())]).first
        }
    }

    static func withDeliveries(_ db: Database, _ records: [AuditRecord]) throws -> [AuditRecord] {
        guard let first = records.first?.id, let last = records.last?.id else { return records }
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM unlock_delivery WHERE audit_id BETWEEN ? AND ? ORDER BY audit_id, lock_id",
                                    arguments: [min(first, last), max(first, last)])
        var byRow: [Int64: [UnlockDelivery]] = [:]
        for r in rows {
            let id: Int64 = r["audit_id"]
            let stateText: String = r["state"]
            guard let state = UnlockDelivery.State(rawValue: stateText) else {
                throw GalleryStoreError.corruptRow(table: "unlock_delivery", id: id, reason: "unknown state \(stateText)")
            }
            let confirmation = (r["confirmation"] as String?).flatMap(UnlockDelivery.Confirmation.init(rawValue:))
            byRow[id, default: []].append(UnlockDelivery(lock: LockID(r["lock_id"] as String), qos: r["qos"], state: state,
                                                         detail: r["detail"], outcomeWallNs: r["outcome_wall_ns"],
                                                         confirmation: confirmation,
                                                         confirmationWallNs: r["confirmation_wall_ns"]))
        }
        return records.map { record in
            var record = record
            record.entry.deliveries = byRow[record.id] ?? []
            return record
        }
    }

    /// The id of the newest audit row, 0 when there is none.
    public func lastAuditID() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM audit") ?? 0 }
    }

    /// `decoder` is shared by the rows of one read: a JSONDecoder per row was most of a
    /// decisions page's cost (facegate-bench web).
    static func auditRecord(_ row: Row, decoder: JSONDecoder) throws -> AuditRecord {
        let id: Int64 = row["id"]
        func corrupt(_ reason: String) -> GalleryStoreError { .corruptRow(table: "audit", id: id, reason: reason) }
        let kindText: String = row["decision"]
        guard let kind = DecisionKind(rawValue: kindText) else { throw corrupt("unknown decision kind \(kindText)") }
        let txnText: String = row["txn"]
        guard let txn = DetectingTxn(hex: txnText) else { throw corrupt("txn \(txnText) is not hex") }
        let unlockedText: String = row["unlocked_json"]
        // Most decisions open nothing: their "[]" needs no decoder.
        let unlocked: [String]
        if unlockedText == "[]" {
            unlocked = []
        } else if let decoded = try? decoder.decode([String].self, from: Data(unlockedText.utf8)) {
            unlocked = decoded
        } else {
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
