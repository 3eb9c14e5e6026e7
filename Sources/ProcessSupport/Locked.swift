#if FACEGATE_TSAN
import Foundation
#else
import Synchronization
#endif

/// State that is only reachable under a lock: `Synchronization.Mutex`, with one twist.
///
/// On Linux, Mutex waits on a futex inside the precompiled Synchronization library, which
/// ThreadSanitizer cannot see: it reports every Mutex-guarded access as a race (ten lines show
/// it: four threads appending to a `Mutex<[Int]>`). `make tsan` therefore builds with
/// `-DFACEGATE_TSAN`, which backs this type by a pthread mutex (NSLock) that TSan understands,
/// so what it checks is our access discipline, not the lock's implementation.
public struct Locked<Value: Sendable>: ~Copyable, Sendable {
    #if FACEGATE_TSAN
    /// Reason for @unchecked: `value` is only touched while `lock` is held.
    private final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let storage: Storage

    public init(_ value: Value) { storage = Storage(value) }

    public borrowing func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        storage.lock.lock()
        defer { storage.lock.unlock() }
        return try body(&storage.value)
    }
    #else
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public borrowing func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (value: inout Value) throws(E) -> R in try body(&value) }
    }
    #endif
}
