import Foundation

/// One write(2) per line so lines from different threads never interleave.
final class LogSink: Sendable {
    /// Every process's log stream: journald and svlogd read stderr and add the timestamp.
    static let standardError = LogSink()

    private let lock = Locked(())
    func write(_ line: String) {
        lock.withLock { _ in writeLocked(line) }
    }

    private func writeLocked(_ line: String) {
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }
}
