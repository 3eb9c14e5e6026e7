import Foundation

/// Structured log lines in logfmt on stderr: `level=info component=broker camera=cam-a txn=42 msg="…"`.
///
/// stderr because journald and svlogd add the timestamp and keep the lines; logfmt because
/// `grep txn=42` across every process's log then tells the story of one frame.
public struct Log: Sendable {
    public enum Level: Int, Comparable, Sendable, CustomStringConvertible {
        case debug = 0, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warn"
            case .error: "error"
            }
        }
    }

    public let component: String
    /// Fields repeated on every line of this logger (camera id, peer name, ...).
    public let context: [(String, String)]

    /// Process-wide minimum level, from `FACEGATE_LOG_LEVEL` (debug|info|warn|error).
    public static let minimumLevel: Level = {
        switch ProcessInfo.processInfo.environment["FACEGATE_LOG_LEVEL"]?.lowercased() {
        case "debug": .debug
        case "warn", "warning": .warning
        case "error": .error
        default: .info
        }
    }()

    private static let sink = LogSink()

    public init(component: String, context: [(String, String)] = []) {
        self.component = component
        self.context = context
    }

    /// A logger that adds `fields` to every line, e.g. `log.with(["camera": id])`.
    public func with(_ fields: KeyValuePairs<String, CustomStringConvertible>) -> Log {
        Log(component: component, context: context + fields.map { ($0.key, $0.value.description) })
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        emit(.debug, message, fields)
    }
    public func info(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        emit(.info, message, fields)
    }
    public func warning(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        emit(.warning, message, fields)
    }
    public func error(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        emit(.error, message, fields)
    }

    private func emit(_ level: Level, _ message: () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible>) {
        guard level >= Log.minimumLevel else { return }
        var line = "level=\(level) component=\(component)"
        for (key, value) in context { line += " \(key)=\(Log.quote(value))" }
        for (key, value) in fields { line += " \(key)=\(Log.quote(value.description))" }
        line += " msg=\(Log.quote(message()))\n"
        Log.sink.write(line)
    }

    /// logfmt quoting: bare when safe, otherwise double-quoted with escapes, so one event is one line.
    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isNewline || $0 == "\t" }
        guard needsQuotes else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}

/// One write(2) per line so lines from different threads never interleave.
final class LogSink: Sendable {
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

/// Flushes what `print` buffered (before a line another process or a pipe must see now).
/// `fflush(nil)` flushes every output stream: naming `stdout`, a mutable C global, is not
/// concurrency-safe in Swift 6.
public func flushStandardOutput() {
    fflush(nil)
}
