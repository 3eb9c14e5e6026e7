import Foundation
import ProcessSupport

/// Reads commands, one per line, from standard input (`-`) or a FIFO, on its own thread.
///
/// A FIFO is opened read-write: the simulator then never sees end-of-file when a writer
/// closes, so a test can open, write a line and close as often as it likes. The FIFO is
/// created (mode 0600) when the path does not exist.
final class ControlChannel: Sendable {
    private let fd: Int32
    private let isStandardInput: Bool
    private let log: Log

    init(path: String, log: Log) throws {
        self.log = log
        if path == "-" {
            fd = 0
            isStandardInput = true
            return
        }
        isStandardInput = false
        var info = stat()
        if stat(path, &info) != 0 {
            guard mkfifo(path, 0o600) == 0 else {
                throw SimulatorCommandError("cannot create FIFO \(path): \(String(cString: strerror(errno)))")
            }
        } else if (info.st_mode & S_IFMT) != S_IFIFO {
            throw SimulatorCommandError("\(path) exists and is not a FIFO")
        }
        fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw SimulatorCommandError("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    /// Calls `handler` with each line; on end of standard input, calls `onEnd`.
    func start(handler: @escaping @Sendable (String) -> Void, onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    if !pending.isEmpty { handler(String(decoding: pending, as: UTF8.self)) }
                    log.info("control channel closed")
                    onEnd()
                    return
                }
                pending += buffer[0..<n]
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    handler(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
        }
        thread.name = "locksim-control"
        thread.start()
    }
}
