import BrokerCore
import GRDB

/// One lock touch session as the broker recorded it (wall clock, ns since the Unix epoch).
public struct LockSessionRecord: Hashable, Sendable {
    public var lock: String
    public var session: String
    public var startWallNs: Int64
    /// nil: no off was recorded (still open, or it expired after `occupancy_max`).
    public var endWallNs: Int64?
}

extension GalleryStore {
    /// The broker opened a session for `lock` (its id is unique within the broker's run).
    public func recordLockSessionOpened(lock: String, session: String, wallNs: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO lock_session (lock_id, session, start_wall_ns) VALUES (?, ?, ?)",
                           arguments: [lock, session, wallNs])
        }
    }

    /// The session's off arrived.
    public func recordLockSessionClosed(lock: String, session: String, wallNs: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE lock_session SET end_wall_ns = ?
                WHERE rowid = (SELECT rowid FROM lock_session WHERE lock_id = ? AND session = ? AND end_wall_ns IS NULL
                               ORDER BY start_wall_ns DESC LIMIT 1)
                """, arguments: [wallNs, lock, session])
        }
    }

    /// Sessions of `locks` that overlap `[t - window, t + window]`, oldest first per lock.
    public func lockSessions(locks: [String], aroundWallNs t: Int64, windowNs: Int64 = 30_000_000_000) throws
        -> [String: [LockSessionRecord]] {
        guard !locks.isEmpty else { return [:] }
        return try pool.read { db in
            var result: [String: [LockSessionRecord]] = [:]
            for lock in locks {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM lock_session
                    WHERE lock_id = ? AND start_wall_ns <= ? AND (end_wall_ns IS NULL OR end_wall_ns >= ?) AND start_wall_ns >= ?
                    ORDER BY start_wall_ns
                    """, arguments: [lock, t + windowNs, t - windowNs, t - 10 * windowNs])
                result[lock] = rows.map {
                    LockSessionRecord(lock: $0["lock_id"], session: $0["session"], startWallNs: $0["start_wall_ns"],
                                      endWallNs: $0["end_wall_ns"])
                }
            }
            return result
        }
    }
}
