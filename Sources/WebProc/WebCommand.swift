import ArgumentParser
import FacegateConfig
import Foundation
import ProcessSupport

/// facegate-web's command line; the flag names are those the systemd unit, the runit run
/// script and the tests use.
struct WebCommand: DaemonCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-web",
        abstract: "Serve facegate's web console: live view, decisions, unknown faces, members and grants.",
        discussion: """
        Reads [web] (address, TLS, cookies, login limits), [runtime] (the database and the \
        broker's control socket), [[locks]] and [[cameras]] from the configuration. Accounts \
        come from `facegate users add`. Listens on 127.0.0.1:8450 unless [web] listen or \
        --listen says otherwise.

        Runs until SIGTERM or SIGINT. Exits 2 for a bad command line or configuration.
        """)

    @Option(help: ArgumentHelp("facegate TOML file.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("host:port to listen on, over [web] listen (same loopback rule).", valueName: "address"))
    var listen: String?

    func options() throws -> WebProcess.Options {
        let configuration: FacegateConfiguration
        do {
            configuration = try FacegateConfiguration.load(path: config)
        } catch {
            throw WebOptionsError("\(error)")
        }
        var web = configuration.web
        if let listen {
            let address: ListenAddress
            do { address = try ListenAddress(parsing: listen) } catch { throw WebOptionsError("--listen: \(error)") }
            if !web.allowRemote && !address.isLoopback {
                throw WebOptionsError("--listen: \(address) is not a loopback address (127.0.0.0/8); set [web] allow_remote = true to serve the console beyond this machine")
            }
            web.listen = address
        }
        // Checked here, not when the server starts: a wrong path is a configuration error
        // (exit 2, naming the key and the file), not a server failure.
        for (key, file) in [("tls_cert_file", web.tlsCertFile), ("tls_key_file", web.tlsKeyFile)] {
            guard let file else { continue }
            if access(file, R_OK) != 0 {
                throw WebOptionsError("[web] \(key): cannot read \(file): \(String(cString: strerror(errno)))")
            }
        }
        var resolved = configuration
        resolved.web = web
        // Photo uploads run `facegate faces enroll`, installed beside this executable.
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let tool = here.appendingPathComponent("facegate").path
        let configPath = URL(fileURLWithPath: config).standardizedFileURL.path
        return WebProcess.Options(configuration: resolved,
                                  enrollTool: FileManager.default.isExecutableFile(atPath: tool) ? (tool, configPath) : nil)
    }

    static func runDaemon(_ options: WebProcess.Options) -> Int32 { WebProcess(options: options).run() }
}

struct WebOptionsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
