import Foundation
import ProcessSupport

/// `gst-launch-1.0` as a child process whose stdin (raw frames in) or stdout (raw frames out)
/// is a pipe. Its messages go to a file, so a chatty or failing pipeline can never block on a
/// full pipe nobody reads; they are returned by `finish()` for the error.
final class GstLaunchProcess {
    static let executable = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")

    private let process = Process()
    private let input: Pipe?
    private let output: Pipe?
    private let messagesDirectory = TemporaryDirectory(prefix: "fg-gst")
    private let messages: FileHandle

    /// `stdin`: frames are written with `writeAll`. `stdout`: the pipeline writes to fd 1
    /// (`fdsink fd=1`) and it is read with `read(into:)`; its messages then go to the file only.
    init(arguments: [String], stdin: Bool = false, stdout: Bool = false) throws {
        // A pipeline that fails at once closes its stdin: the writer must see EPIPE, not die.
        SignalWatcher.ignoreSIGPIPE()
        let messagesURL = messagesDirectory.file("gst-launch.log")
        _ = FileManager.default.createFile(atPath: messagesURL.path, contents: nil)
        messages = try FileHandle(forWritingTo: messagesURL)
        process.executableURL = Self.executable
        process.arguments = arguments
        input = stdin ? Pipe() : nil
        output = stdout ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        process.standardOutput = output ?? messages
        process.standardError = messages
        try process.run()
    }

    /// Writes all of `bytes` to the child's stdin. 0, or the errno that stopped it.
    func writeAll(_ bytes: [UInt8]) -> Int32 {
        guard let fd = input?.fileHandleForWriting.fileDescriptor else { return EBADF }
        return bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return 0
        }
    }

    /// Fills `buffer` from the child's stdout; fewer bytes only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let fd = output?.fileHandleForReading.fileDescriptor else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = Foundation.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return filled
    }

    /// Closes stdin (end of stream), waits for the exit; the exit status and what it printed.
    func finish() -> (status: Int32, messages: String) {
        try? input?.fileHandleForWriting.close()
        if let output {
            // Drain what is left so a pipeline stopped early is not blocked writing it.
            let reader = output.fileHandleForReading
            while let chunk = try? reader.read(upToCount: 1 << 20), !chunk.isEmpty {}
        }
        process.waitUntilExit()
        try? messages.close()
        let text = (try? String(contentsOf: messagesDirectory.file("gst-launch.log"), encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
