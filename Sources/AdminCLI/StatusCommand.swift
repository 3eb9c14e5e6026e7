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
        do {
            return try askBrokerStatus(path: socket, timeout: replyTimeout, clientName: "facegate")
        } catch let error as BrokerStatusError {
            switch error {
            case .notRunning: throw AdminError.brokerNotRunning(socket: socket, configFile: configFile)
            case .permissionDenied:
                throw AdminError.brokerUnreachable(socket: socket, reason: "permission denied (run as the facegate user or root)")
            case let .unreachable(_, reason): throw AdminError.brokerUnreachable(socket: socket, reason: reason)
            case let .badReply(_, reason): throw AdminError.brokerReply(socket: socket, reason: reason)
            }
        }
    }
}
