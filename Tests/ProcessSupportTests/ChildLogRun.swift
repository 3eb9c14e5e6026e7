import Foundation

/// This test bundle started again as a child process that runs a single test, so that what
/// is read is a real process's stderr with its own environment: FACEGATE_LOG_LEVEL is read
/// once per process, and swift-log is bootstrapped once per process.
struct ChildLogRun {
    let stderr: String
    let stdout: String
    let status: Int32

    /// Lines of stderr that are log lines (XCTest's own chatter goes to stdout).
    var logLines: [Substring] { stderr.split(separator: "\n").filter { $0.hasPrefix("level=") } }

    /// Runs `ProcessSupportTests.<test>` in a child with `FACEGATE_LOG_CHILD=1` and `environment`.
    static func run(_ test: String, environment: [String: String]) throws -> ChildLogRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logchild-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let errURL = dir.appendingPathComponent("stderr"), outURL = dir.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil) // the FileHandle below throws if not
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["ProcessSupportTests.\(test)"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FACEGATE_LOG_LEVEL")
        env["FACEGATE_LOG_CHILD"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return ChildLogRun(stderr: try String(contentsOf: errURL, encoding: .utf8),
                           stdout: try String(contentsOf: outURL, encoding: .utf8),
                           status: process.terminationStatus)
    }
}

/// True in the child started by `ChildLogRun`; the child-side tests do nothing otherwise.
var isLogChild: Bool { ProcessInfo.processInfo.environment["FACEGATE_LOG_CHILD"] == "1" }
