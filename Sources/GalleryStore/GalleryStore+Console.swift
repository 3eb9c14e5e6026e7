import BrokerCore
import GRDB

/// The console's accounts and its admin actions.
///
/// The store keeps only a password hash (bcrypt, made by the caller: the CLI and the console
/// share hummingbird-auth's implementation, the store needs none of it).
extension GalleryStore {
    static func consoleUsersMigration(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE console_user (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
                password_hash TEXT NOT NULL,
                created_wall_ns INTEGER NOT NULL
            );
            CREATE TABLE admin_action (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time_wall_ns INTEGER NOT NULL,
                user TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL
            );
            -- The console's decision filters walk the audit newest first (keyset on id):
            -- each filter has an index that ends in id, so a page reads about 50 rows.
            CREATE INDEX audit_time ON audit(time_wall_ns);
            CREATE INDEX audit_member_id ON audit(member_name COLLATE NOCASE, id);
            CREATE INDEX audit_camera_id ON audit(camera, id);
            CREATE INDEX audit_decision_id ON audit(decision, id);
            -- Each lock's touch sessions as the broker saw them, for the console's timelines.
            CREATE TABLE lock_session (
                lock_id TEXT NOT NULL,
                session TEXT NOT NULL,
                start_wall_ns INTEGER NOT NULL,
                end_wall_ns INTEGER,
                PRIMARY KEY (lock_id, session, start_wall_ns)
            );
            CREATE INDEX lock_session_start ON lock_session(lock_id, start_wall_ns);
            """)
    }

    /// Adds an account; names are unique ignoring case.
    @discardableResult
    public func addConsoleUser(name: String, role: ConsoleRole, passwordHash: String) throws -> ConsoleUser {
        let name = try InputValidation.userName(name)
        let hash = try InputValidation.field("password hash", passwordHash)
        let now = wallClock()
        do {
            return try pool.write { db in
                if try Row.fetchOne(db, sql: "SELECT id FROM console_user WHERE name = ?", arguments: [name]) != nil {
                    throw GalleryStoreError.duplicateUser(name)
                }
                try db.execute(sql: "INSERT INTO console_user (name, role, password_hash, created_wall_ns) VALUES (?, ?, ?, ?)",
                               arguments: [name, role.rawValue, hash, now])
                return ConsoleUser(id: db.lastInsertedRowID, name: name, role: role, createdWallNs: now)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw GalleryStoreError.duplicateUser(name)
        }
    }

    /// Removes an account; returns what was removed.
    @discardableResult
    public func removeConsoleUser(name: String) throws -> ConsoleUser {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE name = ?", arguments: [name]) else {
                throw GalleryStoreError.unknownUser(name)
            }
            let user = try Self.consoleUser(row)
            try db.execute(sql: "DELETE FROM console_user WHERE id = ?", arguments: [user.id])
            return user
        }
    }

    /// All accounts by name.
    public func listConsoleUsers() throws -> [ConsoleUser] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM console_user ORDER BY name COLLATE NOCASE").map(Self.consoleUser)
        }
    }

    /// The account and its stored hash, for checking a password; nil when there is none.
    public func consoleCredentials(name: String) throws -> (user: ConsoleUser, passwordHash: String)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE name = ?", arguments: [name]) else {
                return nil
            }
            return (try Self.consoleUser(row), row["password_hash"])
        }
    }

    /// Writes one change made by `user` (a console account, or `cli` for the admin CLI).
    @discardableResult
    public func recordAdminAction(user: String, action: String, detail: String) throws -> AdminAction {
        let now = wallClock()
        let user = try InputValidation.field("user", user)
        let action = try InputValidation.field("action", action)
        return try pool.write { db in
            try db.execute(sql: "INSERT INTO admin_action (time_wall_ns, user, action, detail) VALUES (?, ?, ?, ?)",
                           arguments: [now, user, action, detail])
            return AdminAction(id: db.lastInsertedRowID, timeWallNs: now, user: user, action: action, detail: detail)
        }
    }

    /// The newest `limit` admin actions, newest first.
    public func adminActions(limit: Int) throws -> [AdminAction] {
        guard limit > 0 else { throw GalleryStoreError.invalidField(name: "limit", reason: "must be at least 1, got \(limit)") }
        return try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM admin_action ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                AdminAction(id: row["id"], timeWallNs: row["time_wall_ns"], user: row["user"], action: row["action"],
                            detail: row["detail"])
            }
        }
    }

    static func consoleUser(_ row: Row) throws -> ConsoleUser {
        let id: Int64 = row["id"]
        let roleText: String = row["role"]
        guard let role = ConsoleRole(rawValue: roleText) else {
            throw GalleryStoreError.corruptRow(table: "console_user", id: id, reason: "unknown role \(roleText)")
        }
        return ConsoleUser(id: id, name: row["name"], role: role, createdWallNs: row["created_wall_ns"])
    }
}

/// What a console account may do: look (`viewer`) or also change (`admin`).
public enum ConsoleRole: String, Hashable, Sendable, CaseIterable, Codable {
    case viewer
    case admin
}

public struct ConsoleUser: Hashable, Sendable {
    public var id: Int64
    public var name: String
    public var role: ConsoleRole
    public var createdWallNs: Int64
}

/// One change made through the console or the CLI, and who made it.
public struct AdminAction: Hashable, Sendable {
    public var id: Int64
    public var timeWallNs: Int64
    public var user: String
    public var action: String
    public var detail: String
}
