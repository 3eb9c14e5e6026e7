import ArgumentParser
import Foundation

/// The command line of a per-camera or per-engine daemon (facegate-capture,
/// facegate-recognizer): its flags and an optional `--config` become `Options`, and the
/// process runs from those until SIGTERM.
///
/// A command line or a configuration the daemon cannot start from exits 2, as these daemons
/// always have, not ArgumentParser's 64.
public protocol DaemonCommand: ParsableCommand {
    associatedtype Options
    /// Flags over the configuration file; throws naming what is wrong.
    func options() throws -> Options
    /// Runs the daemon; returns its exit status.
    static func runDaemon(_ options: Options) -> Int32
}

extension DaemonCommand {
    public func run() throws {
        let options: Options
        do {
            options = try self.options()
        } catch {
            throw ValidationError("\(error)")
        }
        let status = Self.runDaemon(options)
        if status != 0 { throw ExitCode(status) }
    }

    public static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
