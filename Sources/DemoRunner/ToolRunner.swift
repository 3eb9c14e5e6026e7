import Foundation
import ProcessSupport

/// Runs short commands to completion (the admin CLI, gst-launch-1.0) and finds tools.
enum ToolRunner {
    /// Runs `executable` with `arguments`; returns its stdout. Throws with its stderr (or
    /// stdout) when it exits with a non-zero status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        // A password for `facegate users add` goes on stdin, never on the command line.
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Both pipes are drained while the process runs so that neither can fill up and block it.
        let errorText = ErrorText()
        let errorRead = DispatchGroup()
        errorRead.enter()
        DispatchQueue.global().async {
            errorText.data = stderr.fileHandleForReading.readDataToEndOfFile()
            errorRead.leave()
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        process.waitUntilExit()
        let output = String(decoding: outputData, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let error = String(decoding: errorText.data, as: UTF8.self)
            let command = ([executable] + arguments).map(Console.shown).joined(separator: " ")
            throw DemoError.commandFailed(command: command, status: process.terminationStatus,
                                          output: (error.isEmpty ? output : error).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }

    /// The first executable `name` on $PATH or in `extraDirectories` (/usr/sbin is not on
    /// every user's PATH, and mosquitto lives there).
    static func find(_ name: String, extraDirectories: [String] = []) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        let directories = path + extraDirectories
        for dir in directories where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        throw DemoError.missingTool(name: name, searched: directories)
    }
}

/// stderr read on another thread.
private final class ErrorText: Sendable {
    private let bytes = Locked(Data())
    var data: Data {
        get { bytes.withLock { $0 } }
        set { bytes.withLock { $0 = newValue } }
    }
}
