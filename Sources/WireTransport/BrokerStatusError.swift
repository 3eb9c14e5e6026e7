/// Why `askBrokerStatus` got no status; the CLI and the console each word it for their reader.
public enum BrokerStatusError: Error, Equatable, CustomStringConvertible {
    /// Nothing listens on the socket (no file, or a file nobody accepts on).
    case notRunning(socket: String)
    /// The socket exists but this user may not connect to it.
    case permissionDenied(socket: String)
    /// Connected or tried to, and the exchange failed (handshake, timeout, closed).
    case unreachable(socket: String, reason: String)
    /// The broker answered with something other than its status.
    case badReply(socket: String, reason: String)

    public var description: String {
        switch self {
        case let .notRunning(s): "the broker is not running (nothing listens on \(s))"
        case let .permissionDenied(s): "cannot reach the broker at \(s): permission denied"
        case let .unreachable(s, r): "cannot reach the broker at \(s): \(r)"
        case let .badReply(s, r): "unexpected answer from the broker at \(s): \(r)"
        }
    }
}
