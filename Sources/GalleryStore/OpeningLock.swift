import Foundation

/// An exclusive `flock` on a file beside the database, held while a store opens it.
///
/// Opening a new file puts it in WAL mode and migrates it. SQLite answers a second process
/// doing the same at the same instant with an immediate `database is locked` (the journal-mode
/// change needs a lock its busy handler will not wait for), so the broker and an admin command
/// started together could fail at random. Openers take turns on this lock instead; it is held
/// only for the opening, never while the store is used. `flock` (not SQLite's `fcntl` locks)
/// on a file SQLite never opens, so closing it cannot release any of SQLite's own locks.
struct OpeningLock: ~Copyable {
    private let fd: Int32

    /// Blocks until the lock on `databasePath + "-open.lock"` is ours.
    init(databasePath: String) throws(GalleryStoreError) {
        let lockPath = databasePath + "-open.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .cannotOpen(path: databasePath, reason: "cannot create \(lockPath): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .cannotOpen(path: databasePath, reason: "cannot lock \(lockPath): \(reason)")
            }
        }
        self.fd = fd
    }

    deinit { close(fd) }
}
