import Foundation

/// What the attack threads saw, shared with the test.
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class AttackResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var closed = 0, held = 0, refused = 0, peakRSS = 0

    func add(closed: Int = 0, held: Int = 0, refused: Int = 0) {
        lock.lock(); defer { lock.unlock() }
        self.closed += closed; self.held += held; self.refused += refused
    }

    func sample(rss: Int) {
        lock.lock(); defer { lock.unlock() }
        peakRSS = max(peakRSS, rss)
    }
}
