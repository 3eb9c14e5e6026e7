import ArgumentParser
import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

@main
struct FacegateTap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-tap",
        abstract: "Print every message that crosses a facegate socket.",
        discussion: """
        attach: connect to a process's control socket (e.g. /run/facegate/broker.ctl) and print \
        copies of everything it sends and receives.
        proxy: sit between two processes (listen on a new path, connect to the real one) and print \
        every message both ways, forwarding the bytes unchanged.
        """,
        subcommands: [Attach.self, Proxy.self]
    )

    static func main() {
        Log.bootstrap()
        main(nil)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Only these kinds (comma separated: hello,frame,detect,result,credit,heartbeat,error,...).", valueName: "kinds"))
    var kind: String?

    @Option(help: "Only messages about this camera.")
    var camera: String?

    @Option(help: ArgumentHelp("Only messages about this detecting_txn (16 hex digits, as printed).", valueName: "txn"),
            transform: { text in
                guard let txn = parseHexTxn(text) else { throw ValidationError("--txn: '\(text)' is not a hex txn") }
                return txn
            })
    var txn: UInt64?

    @Option(help: ArgumentHelp("Write each frame's image into this directory (see --frame-format).", valueName: "dir"))
    var saveFrames: String?

    @Option(help: ArgumentHelp("Image format of saved frames: ppm (PPM, or PGM for gray frames; uncompressed) or png. "
                               + "`facegate faces check` reads both.", valueName: "ppm|png"))
    var frameFormat: FrameFormat = .ppm

    @Option(help: "Exit after printing this many messages.")
    var count: Int?

    func validate() throws {
        _ = try kinds()
        if let dir = saveFrames {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--save-frames: \(dir) is not a directory")
            }
        }
    }

    func kinds() throws -> Set<MessageKind>? {
        guard let kind else { return nil }
        var set = Set<MessageKind>()
        for name in kind.split(separator: ",") {
            guard let k = MessageKind(name: String(name)) else {
                throw ValidationError("--kind: unknown kind '\(name)' (known: \(MessageKind.allCases.map(\.description).joined(separator: ",")))")
            }
            set.insert(k)
        }
        return set
    }
}

enum FrameFormat: String, ExpressibleByArgument, CaseIterable {
    case ppm, png
}

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach to a process's control socket and print its traffic.")

    @Argument(help: "The process's control socket, e.g. /run/facegate/broker.ctl.")
    var path: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        SignalWatcher.ignoreSIGPIPE()
        // Watch the signals before connecting: a SIGTERM during the hello or the subscribe must
        // end the tap cleanly too, not by the default action (found as exit 15 in a test that
        // signalled as soon as the process showed up subscribed).
        let interruption = Interruption()
        let signals = SignalWatcher { _ in interruption.interrupt() }
        defer { _ = signals }
        let printer = TapPrinter(output: output, kinds: try output.kinds())
        let hello = Hello(role: .tap, name: "facegate-tap", pid: UInt32(getpid()))
        let connection: MessageConnection
        do {
            connection = try MessageConnection.connect(path: path, hello: hello,
                                                       expecting: [.broker, .capture, .recognizer])
        } catch {
            if interruption.isInterrupted { return }
            throw ValidationError("cannot attach to \(path): \(error)")
        }
        guard interruption.onInterrupt({ connection.close() }) else { return }
        var mask: UInt32 = 0
        for kind in try output.kinds() ?? [] { mask |= 1 << UInt32(kind.rawValue) }
        do {
            try connection.send(.tapSubscribe(TapSubscribe(kindMask: mask, includePixels: output.saveFrames != nil,
                                                       camera: output.camera ?? "")))
        } catch where interruption.isInterrupted {
            return
        }
        printer.note("attached to \(path) (\(connection.peerLabel))")
        // SIGTERM/SIGINT close the socket, which ends the receive below.
        var interrupted: Bool { interruption.isInterrupted }
        while true {
            let message: Message
            do {
                message = try connection.receive()
            } catch WireError.closed {
                printer.note("\(path) closed")
                return
            } catch where interrupted {
                return
            }
            guard case let .tapEvent(event) = message else {
                printer.note("unexpected \(message.kind) from \(path)")
                continue
            }
            if printer.print(event) { return }
        }
    }
}

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen on LISTEN_PATH, forward each connection to UPSTREAM_PATH, print both directions.")

    @Argument(help: "Where clients should connect instead of the real socket.")
    var listenPath: String

    @Argument(help: "The real socket.")
    var upstreamPath: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        SignalWatcher.ignoreSIGPIPE()
        let stop = StopFlag()
        let interruption = Interruption()
        let signals = SignalWatcher { _ in
            stop.stop()
            interruption.interrupt()
        }
        defer { _ = signals }
        let printer = TapPrinter(output: output, kinds: try output.kinds())
        let listener = try UnixSocket.listen(path: listenPath)
        let listenPath = listenPath
        guard interruption.onInterrupt({ listener.close(); unlink(listenPath) }) else { return }
        printer.note("proxy \(listenPath) -> \(upstreamPath)")
        while !stop.isStopped {
            guard let client = try? listener.accept() else { break }
            let upstream: UnixSocket
            do {
                upstream = try UnixSocket.connect(path: upstreamPath)
            } catch {
                printer.note("cannot reach \(upstreamPath): \(error)")
                client.close()
                continue
            }
            let session = ProxySession(client: client, upstream: upstream, printer: printer, stop: stop)
            session.start()
        }
    }
}

/// What a signal must close, as the signal handler sees it: the signal may arrive before the
/// socket exists, and then the socket is closed as soon as it does.
private final class Interruption: Sendable {
    private let state = Locked<(interrupted: Bool, close: (@Sendable () -> Void)?)>((false, nil))

    var isInterrupted: Bool { state.withLock { $0.interrupted } }

    func interrupt() {
        let close = state.withLock { state in
            state.interrupted = true
            return state.close
        }
        close?()
    }

    /// False (and `close` already called) if a signal came first.
    func onInterrupt(_ close: @escaping @Sendable () -> Void) -> Bool {
        let first = state.withLock { state in
            if state.interrupted { return false }
            state.close = close
            return true
        }
        if !first { close() }
        return first
    }
}
