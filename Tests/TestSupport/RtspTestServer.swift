import Foundation

/// gst-rtsp-server on 127.0.0.1 serving a video file (scripts/rtsp-test-server.py), as a child
/// process the test can kill, stop and restart on the same port.
///
/// Runs under Debian's /usr/bin/python3, which has python3-gi; the python3 first on PATH may not.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class RtspTestServer: @unchecked Sendable {
    public let port: UInt16
    public let file: URL
    public let codec: String
    public let logDirectory: URL
    public private(set) var process: ChildProcess?
    private var generation = 0

    public static let python = URL(fileURLWithPath: "/usr/bin/python3")
    public static let script = Paths.packageRoot.appendingPathComponent("scripts/rtsp-test-server.py")

    /// Starts the server and waits until it listens.
    public init(file: URL, codec: String = "h264", port: UInt16 = freeLoopbackPort(), logDirectory: URL) throws {
        self.port = port
        self.file = file
        self.codec = codec
        self.logDirectory = logDirectory
        try start()
    }

    public var url: String { "rtsp://127.0.0.1:\(port)/clip" }

    /// Starts a fresh server process on the same port (after `kill()`).
    public func start() throws {
        generation += 1
        let child = try ChildProcess(RtspTestServer.python,
                                     [RtspTestServer.script.path, "--port", String(port), "--file", file.path, "--codec", codec],
                                     logDirectory: logDirectory, name: "rtsp-server-\(port)-\(generation)")
        process = child
        guard child.waitForLog("rtsp-test-server ready", timeout: 30) else {
            child.terminate()
            throw RtspTestServerError.notReady(child.log)
        }
    }

    /// SIGKILL: the camera vanishes without a TEARDOWN, as a crashed or unplugged camera does.
    public func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 10)
    }

    public func suspend() { process?.signal(SIGSTOP) }
    public func resume() { process?.signal(SIGCONT) }

    deinit {
        if let process, process.isRunning {
            process.signal(SIGCONT)
            process.terminate(grace: 2)
        }
    }
}

public enum RtspTestServerError: Error, CustomStringConvertible {
    case notReady(String)
    public var description: String {
        switch self {
        case let .notReady(log): "RTSP test server did not become ready; its output:\n\(log)"
        }
    }
}
