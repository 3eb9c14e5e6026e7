import Logging

/// swift-log's `LogHandler` that writes facegate's logfmt lines on stderr, one write(2) per
/// line: `level=info component=broker camera=cam-a txn=42 msg="…"`.
///
/// Bootstrapped once per process (`Log.bootstrap()`), so a library that logs through
/// swift-log lands in the same stream and format as our own `Log`, its label as `component`.
///
/// Fields come in this order: the logger's own (`Log.with` fields in the order given, then any
/// other metadata sorted by key), the metadata provider's (sorted), the line's (`Log`'s fields in
/// the order given, then others sorted). logfmt readers keep the last of a repeated key, which is
/// swift-log's precedence too (the line's metadata over the logger's).
///
/// Levels keep facegate's four names, so `grep level=error` still finds every error: swift-log's
/// trace is written as debug, notice as info and critical as error.
public struct LogfmtLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Metadata keys under which `Log` passes its fields as `LogfmtFields`: a `Logger.Metadata`
    /// is a dictionary and would lose the order and the repeated keys of today's lines.
    static let contextKey = "facegate.logfmt.context"
    static let fieldsKey = "facegate.logfmt.fields"

    /// `logLevel` defaults to FACEGATE_LOG_LEVEL's (`Log.minimumLevel`).
    public init(label: String, logLevel: Logger.Level = Log.minimumLevel.loggerLevel,
                metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        LogSink.standardError.write(line(for: event))
    }

    /// The line `event` is written as, newline included.
    func line(for event: LogEvent) -> String {
        var line = "level=\(Self.name(of: event.level)) component=\(label)"
        Self.append(metadata, orderedKey: Self.contextKey, to: &line)
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            Self.append(provided, orderedKey: nil, to: &line)
        }
        if let own = event.metadata, !own.isEmpty {
            Self.append(own, orderedKey: Self.fieldsKey, to: &line)
        }
        line += " msg=\(Self.quote(event.message.description))\n"
        return line
    }

    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }

    private static func append(_ metadata: Logger.Metadata, orderedKey: String?, to line: inout String) {
        if let orderedKey, case let .stringConvertible(value)? = metadata[orderedKey], let fields = value as? LogfmtFields {
            for (key, value) in fields.pairs { line += " \(key)=\(quote(value))" }
        }
        for key in metadata.keys.sorted() where key != contextKey && key != fieldsKey {
            line += " \(key)=\(quote(metadata[key]!.description))"
        }
    }

    /// logfmt quoting: bare when safe, otherwise double-quoted with escapes, so one event is one line.
    static func quote(_ value: String) -> String {
        // By scalar, not by Character: "\r\n" is one Character, equal to neither "\r" nor "\n",
        // and written raw it would split one event into two lines (a value from a camera or a
        // peer could forge a log line). Other line breaks and controls become \u{…}.
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || Self.isControlOrBreak($0)
        }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Self.isControlOrBreak(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func isControlOrBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
