import Foundation
import TestSupport

/// facegate-web beside a `Pipeline`: its accounts made with `facegate users add` (password on
/// stdin), its `[web]` table appended to the pipeline's configuration, listening on a free
/// loopback port.
final class ConsoleProcess: @unchecked Sendable {
    let process: ChildProcess
    let url: String
    static let admin = ("ann", "ann-admin-password")
    static let viewer = ("vic", "vic-viewer-password")

    init(pipeline p: Pipeline, loginAttempts: Int = 3, loginWindow: Double = 600) throws {
        let port = freeLoopbackPort()
        let web = "\n[web]\nlisten = \"127.0.0.1:\(port)\"\nlogin_attempts = \(loginAttempts)\nlogin_window = \(loginWindow)\n"
        let handle = try FileHandle(forWritingTo: p.configURL)
        handle.seekToEndOfFile()
        handle.write(Data(web.utf8))
        try handle.close()
        try Self.addUser(Self.admin.0, Self.admin.1, role: "admin", pipeline: p)
        try Self.addUser(Self.viewer.0, Self.viewer.1, role: "viewer", pipeline: p)
        process = try ChildProcess(Paths.executable("facegate-web"), ["--config", p.configURL.path],
                                   logDirectory: p.dir.url, name: "facegate-web")
        // "localhost": chromium keeps Secure cookies set over plain HTTP for it, not for 127.0.0.1.
        url = "http://localhost:\(port)"
        guard process.waitForLine("msg=listening", timeout: 30) else {
            throw WebDriver.Failure(description: "facegate-web did not start: \(process.log)")
        }
    }

    static func addUser(_ name: String, _ password: String, role: String, pipeline p: Pipeline) throws {
        let input = p.dir.file("password-\(name)")
        try (password + "\n").write(to: input, atomically: true, encoding: .utf8)
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                     ["-c", "exec \"$0\" \"$@\" < \"$FG_STDIN\"", Paths.executable("facegate").path,
                                      "users", "add", name, "--role", role, "--cost", "6", "--config", p.configURL.path],
                                     environment: ["FG_STDIN": input.path], logDirectory: p.dir.url, name: "users-add-\(name)")
        guard child.waitForExit(timeout: 60) == 0 else { throw WebDriver.Failure(description: "users add \(name): \(child.log)") }
    }

    func stop() -> Int32 { process.terminate(grace: 10) }
}
