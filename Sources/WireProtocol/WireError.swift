#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can be wrong with bytes from a peer, each naming what was wrong so that
/// the log line that closes the connection tells the operator which field or limit it was.
public enum WireError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The length prefix announced a body larger than this connection accepts.
    case frameTooLarge(length: Int, limit: Int)
    /// A zero length prefix: every body has at least its kind byte.
    case emptyFrame
    /// The body ended before `field` could be read.
    case truncated(field: String, needed: Int, available: Int)
    case unknownKind(UInt8)
    /// A field held a value outside what the protocol allows.
    case invalidField(field: String, reason: String)
    /// Bytes left over after the message was complete.
    case trailingBytes(kind: String, count: Int)
    case unsupportedVersion(got: UInt16, expected: UInt16)
    case unexpectedRole(got: String, expected: [String])
    /// The peer's first message was not a hello.
    case expectedHello(got: String)
    case peerRejected(reason: String)
    /// The peer closed the connection (clean EOF between frames).
    case closed
    /// The peer closed in the middle of a frame.
    case closedMidFrame(bufferedBytes: Int)
    case socket(operation: String, errno: Int32, path: String)
    case addressInUse(path: String)
    case timedOut(operation: String)
    /// A message began and did not finish in time: a peer that stalls mid-frame holds a
    /// thread and a buffer, so it is cut off.
    case messageDeadlineExceeded(seconds: Double, received: Int, announced: Int?)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit): "frame length \(length) exceeds limit \(limit)"
        case .emptyFrame: "frame length 0 (a body holds at least its kind byte)"
        case let .truncated(field, needed, available): "truncated at \(field): needed \(needed) bytes, \(available) left"
        case let .unknownKind(kind): "unknown message kind 0x\(String(kind, radix: 16))"
        case let .invalidField(field, reason): "invalid \(field): \(reason)"
        case let .trailingBytes(kind, count): "\(count) trailing bytes after \(kind) message"
        case let .unsupportedVersion(got, expected): "protocol version \(got) unsupported (this side speaks \(expected))"
        case let .unexpectedRole(got, expected): "peer role \(got) not accepted here (expected \(expected.joined(separator: "|")))"
        case let .expectedHello(got): "expected hello as first message, got \(got)"
        case let .peerRejected(reason): "peer rejected: \(reason)"
        case .closed: "connection closed by peer"
        case let .closedMidFrame(buffered): "connection closed by peer in the middle of a frame (\(buffered) bytes buffered)"
        case let .socket(operation, code, path): "\(operation) \(path): \(String(cString: strerror(code)))"
        case let .addressInUse(path): "\(path) is served by a running process"
        case let .timedOut(operation): "\(operation) timed out"
        case let .messageDeadlineExceeded(seconds, received, announced):
            "message incomplete after \(WireError.seconds(seconds)) s: "
                + (announced.map { "\(received) of \($0) body bytes received" } ?? "length prefix unfinished")
        }
    }

    /// "5" for whole seconds, "0.25" otherwise: how error texts and log lines print a limit.
    public static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
