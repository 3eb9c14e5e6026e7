import Foundation
import Logging

/// Structured log lines in logfmt on stderr: `level=info component=broker camera=cam-a txn=42 msg="…"`.
///
/// stderr because journald and svlogd add the timestamp and keep the lines; logfmt because
/// `grep txn=42` across every process's log then tells the story of one frame.
///
/// A thin layer over swift-log's `Logger` (label = component, `with` fields as metadata): the
/// lines are written by `LogfmtLogHandler`, the handler `bootstrap()` installs for the whole
/// process, so libraries that log through swift-log write the same lines to the same stream.
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

        public var loggerLevel: Logger.Level {
            switch self {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        }
    }

    public let component: String
    /// Fields repeated on every line of this logger (camera id, peer name, ...).
    public let context: [(String, String)]
    /// The swift-log logger under this one, for a library that takes a `Logger`: its lines
    /// carry this component and these fields.
    public let logger: Logger

    /// Process-wide minimum level, from `FACEGATE_LOG_LEVEL` (debug|info|warn|error).
    public static let minimumLevel: Level = {
        switch ProcessInfo.processInfo.environment["FACEGATE_LOG_LEVEL"]?.lowercased() {
        case "debug": .debug
        case "warn", "warning": .warning
        case "error": .error
        default: .info
        }
    }()

    /// Installs `LogfmtLogHandler` as swift-log's handler for this process. Each executable
    /// calls it first thing, before a library can make a `Logger` (a `Logger` keeps the handler
    /// it was made with); later calls, and the one every `Log` makes, do nothing.
    public static func bootstrap() {
        _ = bootstrapped
    }

    private static let bootstrapped: Void = {
        LoggingSystem.bootstrap({ label, provider in LogfmtLogHandler(label: label, metadataProvider: provider) },
                                metadataProvider: nil)
    }()

    public init(component: String, context: [(String, String)] = []) {
        Log.bootstrap()
        self.component = component
        self.context = context
        var logger = Logger(label: component)
        if !context.isEmpty {
            logger[metadataKey: LogfmtLogHandler.contextKey] = .stringConvertible(LogfmtFields(context))
        }
        self.logger = logger
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

    /// `Logger` evaluates the message and the fields only for a line it writes, as before.
    private func emit(_ level: Level, _ message: () -> String, _ fields: KeyValuePairs<String, CustomStringConvertible>) {
        logger.log(level: level.loggerLevel, "\(message())",
                   metadata: fields.isEmpty ? nil
                       : [LogfmtLogHandler.fieldsKey: .stringConvertible(LogfmtFields(fields.map { ($0.key, $0.value.description) }))])
    }
}

/// Flushes what `print` buffered (before a line another process or a pipe must see now).
/// `fflush(nil)` flushes every output stream: naming `stdout`, a mutable C global, is not
/// concurrency-safe in Swift 6.
public func flushStandardOutput() {
    fflush(nil)
}
