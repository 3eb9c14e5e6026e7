import BrokerCore
import Dispatch
import Foundation
import WireProtocol
import WireTransport

/// The broker's control socket, asked for its status as `facegate status` does; the blocking
/// exchange runs off the server's threads.
public struct BrokerLink: Sendable {
    public let socketPath: String
    public let timeout: Double

    public init(socketPath: String, timeout: Double = 5) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    public enum Failure: Error, CustomStringConvertible {
        case notRunning(String)
        case unreachable(String)
        case badReply(String)

        public var description: String {
            switch self {
            case let .notRunning(s): "the broker is not running (nothing listens on \(s))"
            case let .unreachable(r): "cannot reach the broker: \(r)"
            case let .badReply(r): "unexpected answer from the broker: \(r)"
            }
        }
    }

    /// The status reply as the broker wrote it (JSON) and decoded.
    public func status() async throws -> (json: String, status: BrokerStatus) {
        let path = socketPath, timeout = timeout
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.ask(path: path, timeout: timeout) })
            }
        }
    }

    static func ask(path: String, timeout: Double) throws -> (json: String, status: BrokerStatus) {
        let json: String
        do {
            json = try askBrokerStatus(path: path, timeout: timeout, clientName: "facegate-web")
        } catch let error as BrokerStatusError {
            switch error {
            case .notRunning: throw Failure.notRunning(path)
            case .permissionDenied: throw Failure.unreachable("permission denied on \(path)")
            case let .unreachable(_, reason): throw Failure.unreachable(reason)
            case let .badReply(_, reason): throw Failure.badReply(reason)
            }
        }
        do {
            return (json, try JSONDecoder().decode(BrokerStatus.self, from: Data(json.utf8)))
        } catch {
            throw Failure.badReply("not the broker's status (\(error))")
        }
    }
}
