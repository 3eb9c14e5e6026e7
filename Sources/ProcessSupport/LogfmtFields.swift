/// Key-value pairs in the order a `Log` call site gave them, repeated keys kept, carried through
/// swift-log's (unordered) metadata to `LogfmtLogHandler`.
///
/// Another handler sees its description, the pairs as logfmt; so does any line written in logfmt
/// outside a log (`facegate audit`), with the same quoting.
public struct LogfmtFields: CustomStringConvertible, Sendable {
    public let pairs: [(String, String)]

    public init(_ pairs: [(String, String)]) { self.pairs = pairs }

    public var description: String {
        pairs.map { "\($0.0)=\(LogfmtLogHandler.quote($0.1))" }.joined(separator: " ")
    }
}
