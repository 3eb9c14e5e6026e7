/// Key-value pairs in the order a `Log` call site gave them, repeated keys kept, carried through
/// swift-log's (unordered) metadata to `LogfmtLogHandler`.
///
/// Another handler sees its description, the pairs as logfmt.
struct LogfmtFields: CustomStringConvertible, Sendable {
    let pairs: [(String, String)]

    var description: String {
        pairs.map { "\($0.0)=\(LogfmtLogHandler.quote($0.1))" }.joined(separator: " ")
    }
}
