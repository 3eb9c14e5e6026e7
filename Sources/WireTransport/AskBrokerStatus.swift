import Foundation
import WireProtocol

/// One status exchange on the broker's control socket, as `facegate status` and facegate-web
/// make it: connect as an admin peer, send `.statusRequest`, wait at most `timeout` seconds
/// for the handshake and again for the reply. Returns the broker's JSON as it wrote it.
/// Blocking; callers on an event loop run it on a thread of their own.
public func askBrokerStatus(path: String, timeout: Double, clientName: String) throws -> String {
    let hello = Hello(role: .admin, name: clientName, pid: UInt32(getpid()))
    let connection: MessageConnection
    do {
        connection = try MessageConnection.connect(path: path, hello: hello, expecting: [.broker], handshakeTimeout: timeout)
    } catch let WireError.socket(_, code, _) where code == ENOENT || code == ECONNREFUSED {
        throw BrokerStatusError.notRunning(socket: path)
    } catch let WireError.socket(_, code, _) where code == EACCES || code == EPERM {
        throw BrokerStatusError.permissionDenied(socket: path)
    } catch {
        throw BrokerStatusError.unreachable(socket: path, reason: "\(error)")
    }
    defer { connection.close() }
    let answer: Message
    do {
        connection.socket.setReceiveTimeout(seconds: timeout)
        try connection.send(.statusRequest)
        answer = try connection.receive()
    } catch {
        throw BrokerStatusError.unreachable(socket: path, reason: "\(error)")
    }
    switch answer {
    case let .statusReply(reply): return reply.json
    case let .error(e): throw BrokerStatusError.badReply(socket: path, reason: "\(e.code): \(e.text)")
    default: throw BrokerStatusError.badReply(socket: path, reason: "got \(answer.kind) instead of status-reply")
    }
}
