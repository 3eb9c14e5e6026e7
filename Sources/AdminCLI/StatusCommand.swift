import ArgumentParser
import FacegateConfig
import Foundation
import WireProtocol
import WireTransport

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask the running broker what it is doing.",
        discussion: """
        Connects to the broker's control socket, <runtime.sockets_dir>/broker.ctl, and prints a \
        summary: MQTT connection, cameras (connected, frames received, sent for recognition, \
        skipped), open lock and motion sessions, connected recognizers (credits, frames in \
        flight), and the decision counters. With --json: the broker's answer as it is, one JSON \
        object.

        Needs permission to connect to the socket (the facegate user or root). Exits 69 when the \
        broker is not running or does not answer within 10 seconds.
        """)

    @Flag(help: "Print the broker's JSON answer instead of a summary.")
    var json = false

    @OptionGroup var options: ConfigOptions

    static let replyTimeout = 10.0

    func run() throws {
        let configuration = try options.load()
        let socket = "\(configuration.runtime.socketsDirectory)/broker.ctl"
        let reply = try Self.ask(socket: socket, configFile: options.path)
        if json {
            print(reply)
            return
        }
        let summary: StatusSummary
        do {
            summary = try StatusSummary(json: reply)
        } catch {
            throw AdminError.brokerReply(socket: socket, reason: "not the broker's status (\(error))")
        }
        print(summary.text)
    }

    static func ask(socket: String, configFile: String) throws -> String {
        let hello = Hello(role: .admin, name: "facegate", pid: UInt32(getpid()))
        let connection: MessageConnection
        do {
            connection = try MessageConnection.connect(path: socket, hello: hello, expecting: [.broker],
                                                       handshakeTimeout: replyTimeout)
        } catch let WireError.socket(_, code, _) where code == ENOENT || code == ECONNREFUSED {
            throw AdminError.brokerNotRunning(socket: socket, configFile: configFile)
        } catch let WireError.socket(_, code, _) where code == EACCES || code == EPERM {
            throw AdminError.brokerUnreachable(socket: socket, reason: "permission denied (run as the facegate user or root)")
        } catch {
            throw AdminError.brokerUnreachable(socket: socket, reason: "\(error)")
        }
        defer { connection.close() }
        do {
            connection.socket.setReceiveTimeout(seconds: replyTimeout)
            try connection.send(.statusRequest)
            let answer = try connection.receive()
            guard case let .statusReply(reply) = answer else {
                if case let .error(e) = answer { throw AdminError.brokerReply(socket: socket, reason: "\(e.code): \(e.text)") }
                throw AdminError.brokerReply(socket: socket, reason: "got \(answer.kind) instead of status-reply")
            }
            return reply.json
        } catch let error as AdminError {
            throw error
        } catch {
            throw AdminError.brokerUnreachable(socket: socket, reason: "\(error)")
        }
    }
}
