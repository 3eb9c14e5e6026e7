import Foundation

/// Runs `body` with fd 2 pointed at a temporary file and returns what was written there:
/// the log lines are read from the very stream the processes write, not from a hook inside
/// the logger.
func captureStandardError(_ body: () -> Void) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    let fd = open(url.path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
    guard fd >= 0 else { throw CaptureError.open(url.path, errno) }
    defer { try? FileManager.default.removeItem(at: url) }
    let saved = dup(2)
    dup2(fd, 2)
    close(fd)
    body()
    dup2(saved, 2)
    close(saved)
    return try String(contentsOf: url, encoding: .utf8)
}

enum CaptureError: Error, CustomStringConvertible {
    case open(String, Int32)
    var description: String {
        switch self {
        case let .open(path, code): "cannot open \(path) to capture stderr: \(String(cString: strerror(code)))"
        }
    }
}
