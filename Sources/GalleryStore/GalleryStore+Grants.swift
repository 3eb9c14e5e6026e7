import BrokerCore
import GRDB

extension GalleryStore {
    /// Lets a member open a lock. The store does not know the configuration: the CLI checks the
    /// lock id against it first.
    @discardableResult
    public func addGrant(member name: String, lock: String) throws -> GrantRecord {
        let lock = try InputValidation.lockID(lock)
        let now = wallClock()
        do {
            return try pool.write { db in
                let member = try Self.memberRef(db, named: name)!
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM member_grant WHERE member_id = ? AND lock_id = ?)",
                                     arguments: [member.id.rawValue, lock.rawValue]) == true {
                    throw GalleryStoreError.duplicateGrant(member: member.name, lock: lock)
                }
                try db.execute(sql: "INSERT INTO member_grant (member_id, lock_id, created_wall_ns) VALUES (?, ?, ?)",
                               arguments: [member.id.rawValue, lock.rawValue, now])
                return GrantRecord(member: member, lock: lock, createdWallNs: now)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw GalleryStoreError.duplicateGrant(member: name, lock: lock)
        }
    }

    public func removeGrant(member name: String, lock: String) throws {
        let lockID = LockID(lock)
        try pool.write { db in
            let member = try Self.memberRef(db, named: name)!
            try db.execute(sql: "DELETE FROM member_grant WHERE member_id = ? AND lock_id = ?",
                           arguments: [member.id.rawValue, lock])
            if db.changesCount == 0 { throw GalleryStoreError.unknownGrant(member: member.name, lock: lockID) }
        }
    }

    /// Grants of one member (by name), or all, by member name then lock.
    public func listGrants(member name: String? = nil) throws -> [GrantRecord] {
        try pool.read { db in
            let sql = "SELECT g.member_id, m.name, g.lock_id, g.created_wall_ns FROM member_grant g JOIN member m ON m.id = g.member_id"
            let order = " ORDER BY m.name COLLATE NOCASE, g.lock_id"
            let rows: [Row]
            if let name {
                let member = try Self.memberRef(db, named: name)!
                rows = try Row.fetchAll(db, sql: sql + " WHERE g.member_id = ?" + order, arguments: [member.id.rawValue])
            } else {
                rows = try Row.fetchAll(db, sql: sql + order)
            }
            return rows.map { row in
                GrantRecord(member: MemberRef(id: MemberID(row["member_id"]), name: row["name"]),
                            lock: LockID(row["lock_id"] as String), createdWallNs: row["created_wall_ns"])
            }
        }
    }
}
