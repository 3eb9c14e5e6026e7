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
        let hello = Hello(role: .admin, name: "facegate-web", pid: UInt32(getpid()))
        let connection: MessageConnection
        do {
            connection = try MessageConnection.connect(path: path, hello: hello, expecting: [.broker], handshakeTimeout: timeout)
        } catch let WireError.socket(_, code, _) where code == ENOENT || code == ECONNREFUSED {
            throw Failure.notRunning(path)
        } catch {
            throw Failure.unreachable("\(error)")
        }
        defer { connection.close() }
        let answer: Message
        do {
            connection.socket.setReceiveTimeout(seconds: timeout)
            try connection.send(.statusRequest)
            answer = try connection.receive()
        } catch {
            throw Failure.unreachable("\(error)")
        }
        guard case let .statusReply(reply) = answer else { throw Failure.badReply("got \(answer.kind)") }
        do {
            return (reply.json, try JSONDecoder().decode(BrokerStatus.self, from: Data(reply.json.utf8)))
        } catch {
            throw Failure.badReply("not the broker's status (\(error))")
        }
    }
}
