import BrokerCore
import GRDB

extension GalleryStore {
    /// Adds a member with no faces and no grants. Names are unique ignoring case.
    @discardableResult
    public func addMember(name: String) throws -> MemberRecord {
        let name = try InputValidation.memberName(name)
        let now = wallClock()
        do {
            return try pool.write { db in
                let ref = try Self.insertMember(db, name: name, now: now)
                return MemberRecord(id: ref.id, name: name, createdWallNs: now, faceCount: 0, grants: [])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw GalleryStoreError.duplicateMemberName(name) // lost a race with another process
        }
    }

    /// Removes a member with their faces and grants; returns what was removed.
    @discardableResult
    public func removeMember(name: String) throws -> MemberRecord {
        try pool.write { db in
            let record = try Self.memberRecord(db, named: name)
            try db.execute(sql: "DELETE FROM member WHERE id = ?", arguments: [record.id.rawValue])
            return record
        }
    }

    public func member(named name: String) throws -> MemberRecord {
        try pool.read { try Self.memberRecord($0, named: name) }
    }

    /// All members by name.
    public func listMembers() throws -> [MemberRecord] {
        try pool.read { db in
            let grants = try Self.grantsByMember(db)
            return try Row.fetchAll(db, sql: """
                SELECT m.id, m.name, m.created_wall_ns,
                       (SELECT count(*) FROM face_descriptor f WHERE f.member_id = m.id) AS faces
                FROM member m ORDER BY m.name COLLATE NOCASE
                """).map { row in
                let id: Int64 = row["id"]
                return MemberRecord(id: MemberID(id), name: row["name"], createdWallNs: row["created_wall_ns"],
                                    faceCount: row["faces"], grants: grants[id] ?? [])
            }
        }
    }

    /// `name` already validated; a duplicate (ignoring case) is a typed error.
    static func insertMember(_ db: Database, name: String, now: Int64) throws -> MemberRef {
        if try memberRef(db, named: name, orThrow: false) != nil {
            throw GalleryStoreError.duplicateMemberName(name)
        }
        try db.execute(sql: "INSERT INTO member (name, created_wall_ns) VALUES (?, ?)", arguments: [name, now])
        return MemberRef(id: MemberID(db.lastInsertedRowID), name: name)
    }

    static func memberRef(_ db: Database, named name: String, orThrow: Bool = true) throws -> MemberRef? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, name FROM member WHERE name = ?", arguments: [name]) else {
            if orThrow { throw GalleryStoreError.unknownMember(name) }
            return nil
        }
        return MemberRef(id: MemberID(row["id"]), name: row["name"])
    }

    static func memberRecord(_ db: Database, named name: String) throws -> MemberRecord {
        let ref = try memberRef(db, named: name)!
        let row = try Row.fetchOne(db, sql: """
            SELECT created_wall_ns, (SELECT count(*) FROM face_descriptor WHERE member_id = ?) AS faces
            FROM member WHERE id = ?
            """, arguments: [ref.id.rawValue, ref.id.rawValue])!
        return MemberRecord(id: ref.id, name: ref.name, createdWallNs: row["created_wall_ns"], faceCount: row["faces"],
                            grants: try grantsByMember(db, only: ref.id.rawValue)[ref.id.rawValue] ?? [])
    }

    static func grantsByMember(_ db: Database, only member: Int64? = nil) throws -> [Int64: [LockID]] {
        var result: [Int64: [LockID]] = [:]
        let rows = member == nil
            ? try Row.fetchAll(db, sql: "SELECT member_id, lock_id FROM member_grant ORDER BY lock_id")
            : try Row.fetchAll(db, sql: "SELECT member_id, lock_id FROM member_grant WHERE member_id = ? ORDER BY lock_id",
                               arguments: [member])
        for row in rows { result[row["member_id"], default: []].append(LockID(row["lock_id"] as String)) }
        return result
    }
}
