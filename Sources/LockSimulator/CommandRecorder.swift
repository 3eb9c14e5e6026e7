import Foundation
import ProcessSupport

/// Appends one JSON object per line to the `--record` file: every `/set` command received and
/// every occupancy report published, with wall time, monotonic time and scenario time.
/// One write(2) per line, so a test reading the file concurrently never sees half a record
/// (and nothing is lost if the simulator is killed).
final class CommandRecorder: Sendable {
    private let fd: Int32
    private let lock = Locked(())

    init?(path: String?) throws {
        guard let path else { return nil }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SimulatorCommandError("cannot open record file \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func write(_ fields: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        let bytes = Array(data) + [UInt8(ascii: "\n")]
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
