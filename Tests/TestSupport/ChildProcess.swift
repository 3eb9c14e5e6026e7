import Foundation

/// A real executable started by a test, its stderr and stdout collected into a log file that
/// the test can search (`waitForLog`) and that is printed when the test fails.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let process = Process()
    public let logURL: URL
    private let logHandle: FileHandle

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                logDirectory: URL, name: String? = nil) throws {
        self.name = name ?? executable.lastPathComponent
        logURL = logDirectory.appendingPathComponent("\(self.name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil) // the open below throws if not
        logHandle = try FileHandle(forWritingTo: logURL)
        logHandle.seekToEndOfFile()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits until the collected output contains `text`.
    @discardableResult
    public func waitForLog(_ text: String, timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout, interval: 0.05) { log.contains(text) }
    }

    /// Lines of the collected output that contain every one of `fragments` (in any order):
    /// structured log lines put their fields before `msg=`, so a phrase and a field are
    /// matched separately.
    public func lines(containing fragments: String...) -> [Substring] {
        log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }
    }

    /// Waits until at least `count` lines contain every one of `fragments`.
    @discardableResult
    public func waitForLine(_ fragments: String..., count: Int = 1, timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout, interval: 0.05) {
            log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }.count >= count
        }
    }

    public func signal(_ signo: Int32) { kill(pid, signo) }

    /// SIGTERM, then SIGKILL after `grace` seconds. Returns the termination status.
    @discardableResult
    public func terminate(grace: Double = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        if !waitUntil(timeout: grace, interval: 0.02, { !process.isRunning }) {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the process to exit on its own.
    @discardableResult
    public func waitForExit(timeout: Double = 30) -> Int32? {
        guard waitUntil(timeout: timeout, interval: 0.02, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        try? logHandle.close()
    }
}
