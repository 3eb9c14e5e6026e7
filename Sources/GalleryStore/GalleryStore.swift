import BrokerCore
import Foundation
import GRDB

/// The one SQLite file of facegate: members, their face descriptors, grants, and the audit log.
///
/// This type owns the schema (named migrations, applied on open) and offers only
/// intent-named operations. The admin CLI and the broker each open their own store on the same
/// file; SQLite's WAL mode lets the broker read and append audit rows while the CLI writes.
/// The broker notices gallery changes through `changeToken()`, without a restart.
public final class GalleryStore: Sendable {
    public let path: String
    let pool: DatabasePool
    let wallClock: @Sendable () -> Int64

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// - Parameter wallClock: ns since the Unix epoch, for the `created` columns.
    public init(path: String, wallClock: @escaping @Sendable () -> Int64 = GalleryStore.systemWallClock) throws {
        self.path = path
        self.wallClock = wallClock
        var config = Configuration()
        config.label = "facegate"
        // Another process (CLI or broker) may hold the write lock for a moment.
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        let opening = try OpeningLock(databasePath: path)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB's WAL setup chooses NORMAL, which may lose the last commits on power loss.
            // An audit row must survive once written, so the writer syncs every commit.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        } catch let error as DatabaseError {
            throw GalleryStoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
        let migrator = Self.migrator
        if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
            throw GalleryStoreError.schemaTooNew(path: path)
        }
        try migrator.migrate(pool)
        _ = consume opening
    }

    public static let systemWallClock: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1e9).rounded())
    }

    /// Identifiers of the applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try Self.migrator.appliedMigrations($0) }
    }

    /// The synchronous level of the connection that writes (2 = FULL).
    public func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func journalMode() throws -> String {
        try pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") ?? "" }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1 members, faces, grants, audit") { db in
            try db.execute(sql: """
                CREATE TABLE member (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    created_wall_ns INTEGER NOT NULL
                );
                CREATE TABLE face_descriptor (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    member_id INTEGER NOT NULL REFERENCES member(id) ON DELETE CASCADE,
                    descriptor BLOB NOT NULL CHECK (length(descriptor) = \(DescriptorBlob.byteCount)),
                    source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
                    model TEXT NOT NULL,
                    detector TEXT NOT NULL,
                    created_wall_ns INTEGER NOT NULL,
                    UNIQUE (member_id, source_sha256, model)
                );
                CREATE INDEX face_descriptor_member ON face_descriptor(member_id);
                CREATE TABLE member_grant (
                    member_id INTEGER NOT NULL REFERENCES member(id) ON DELETE CASCADE,
                    lock_id TEXT NOT NULL,
                    created_wall_ns INTEGER NOT NULL,
                    PRIMARY KEY (member_id, lock_id)
                );
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time_wall_ns INTEGER NOT NULL,
                    camera TEXT,
                    txn TEXT NOT NULL,
                    face_index INTEGER,
                    capture_mono_ns INTEGER,
                    capture_wall_ns INTEGER,
                    member_id INTEGER,
                    member_name TEXT,
                    distance REAL,
                    snapshot_json TEXT,
                    unlocked_json TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                """)
        }

        // Any writer, including a hand-run sqlite3, moves the generation: the broker polls one
        // integer instead of diffing tables. Audit rows do not move it.
        migrator.registerMigration("v1 gallery generation") { db in
            try db.execute(sql: """
                CREATE TABLE gallery_generation (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    value INTEGER NOT NULL
                );
                INSERT INTO gallery_generation (id, value) VALUES (1, 0);
                """)
            for table in ["member", "face_descriptor", "member_grant"] {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(event.lowercased())_generation AFTER \(event) ON \(table)
                        BEGIN UPDATE gallery_generation SET value = value + 1 WHERE id = 1; END;
                        """)
                }
            }
        }

        // Write-ahead delivery: a decision's row and its commands are committed before the
        // commands are published; the outcome and the lock's report update them.
        migrator.registerMigration("v2 unlock delivery") { db in
            try db.execute(sql: """
                CREATE TABLE unlock_delivery (
                    audit_id INTEGER NOT NULL REFERENCES audit(id) ON DELETE CASCADE,
                    lock_id TEXT NOT NULL,
                    qos INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'published', 'failed', 'unknown')),
                    detail TEXT,
                    outcome_wall_ns INTEGER,
                    confirmation TEXT CHECK (confirmation IN ('confirmed', 'unconfirmed')),
                    confirmation_wall_ns INTEGER,
                    PRIMARY KEY (audit_id, lock_id)
                );
                """)
        }

        // A small picture of every judged face (issue 11), and for faces no member matched the
        // descriptor too, so an operator can enroll the stranger later without a photo.
        // `enrolled_face_id` remembers which gallery face a crop became (the unknown-faces list
        // leaves it out); deleting that face lists the crop again.
        migrator.registerMigration("v3 face crops") { db in
            try db.execute(sql: """
                CREATE TABLE face_crop (
                    audit_id INTEGER PRIMARY KEY REFERENCES audit(id) ON DELETE CASCADE,
                    format TEXT NOT NULL CHECK (format IN ('jpeg')),
                    width INTEGER NOT NULL CHECK (width > 0),
                    height INTEGER NOT NULL CHECK (height > 0),
                    image BLOB NOT NULL,
                    descriptor BLOB CHECK (descriptor IS NULL OR length(descriptor) = \(DescriptorBlob.byteCount)),
                    model TEXT,
                    detector TEXT,
                    created_wall_ns INTEGER NOT NULL,
                    enrolled_face_id INTEGER REFERENCES face_descriptor(id) ON DELETE SET NULL
                );
                CREATE INDEX face_crop_created ON face_crop(created_wall_ns);
                -- Without it, removing any gallery face would scan every crop (foreign key check).
                CREATE INDEX face_crop_enrolled ON face_crop(enrolled_face_id);
                """)
        }

        // facegate-web's accounts, and what they changed (written by the console and the CLI).
        migrator.registerMigration("v4 console users", migrate: Self.consoleUsersMigration)

        return migrator
    }
}
