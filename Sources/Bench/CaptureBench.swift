import CameraCapture
import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// Frames/s the capture path decodes, converts and delivers for the clip, next to
/// `gst-launch-1.0 <the same pipeline> ! fakesink sync=false` in the same run.
///
/// Both sides decode the file as fast as they can (unpaced: the session's appsink waits for the
/// consumer instead of dropping, so every frame is counted). Rates are (frames - 1) over the
/// time from the first frame to the last, which is what gst-launch's "Execution ended after"
/// measures (PLAYING to EOS, after preroll), so process start-up is left out of both. Rounds
/// alternate the three measurements so machine drift hits them alike; medians are printed.
enum CaptureBench {
    struct Row {
        let label: String
        let settings: CaptureSettings
    }

    static func run(clipPath: String, rounds: Int = 5) throws {
        let source = CaptureSource.file(path: clipPath, loop: false)
        // The clip is 640 px wide, so "640 px wide" is its native size; 320 shows the scaling cost.
        let rows = [
            Row(label: "native (640x360) rgb24", settings: CaptureSettings(pacing: .unpaced)),
            Row(label: "max 640 wide rgb24", settings: CaptureSettings(maxWidth: 640, pacing: .unpaced)),
            Row(label: "max 320 wide rgb24", settings: CaptureSettings(maxWidth: 320, pacing: .unpaced)),
            Row(label: "native gray8", settings: CaptureSettings(pixelFormat: .gray8, pacing: .unpaced)),
        ]
        let dir = NSTemporaryDirectory() + "fgcapbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        print("capture: \(URL(fileURLWithPath: clipPath).lastPathComponent), decode + convert + deliver, unpaced, median of \(rounds) rounds")
        print("  " + "pipeline".padding(toLength: 26, withPad: " ", startingAt: 0)
            + "  gst-launch fakesink  session delivered (ratio)  session + wire send (ratio)")
        for (index, row) in rows.enumerated() {
            var launch: [Double] = [], delivered: [Double] = [], sent: [Double] = []
            for round in 0..<rounds {
                launch.append(try gstLaunchRate(source: source, settings: row.settings))
                delivered.append(try sessionRate(source: source, settings: row.settings, sendTo: nil))
                sent.append(try sessionRate(source: source, settings: row.settings, sendTo: "\(dir)/b\(index)-\(round).sock"))
            }
            let base = median(launch)
            print("  " + row.label.padding(toLength: 26, withPad: " ", startingAt: 0)
                + String(format: " %9.0f frames/s   %9.0f frames/s (%.2f)   %9.0f frames/s (%.2f)",
                         base, median(delivered), median(delivered) / base, median(sent), median(sent) / base))
        }
        print("  gst-launch: \(CaptureSession.gstLaunchText(source: source, settings: rows[0].settings, sink: "fakesink sync=false"))")
    }

    /// Frames/s of `gst-launch-1.0 ... ! fakesink sync=false`, from its own "Execution ended after".
    static func gstLaunchRate(source: CaptureSource, settings: CaptureSettings) throws -> Double {
        let text = CaptureSession.gstLaunchText(source: source, settings: settings, sink: "fakesink name=fg_sink sync=false")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
        process.arguments = shellWords(text)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = output.split(separator: "\n").first(where: { $0.contains("Execution ended after") }),
              let seconds = parseClockTime(String(line.split(separator: " ").last ?? "")) else {
            throw BenchError.gstLaunch(output)
        }
        return Double(clipFrames(source) - 1) / seconds
    }

    /// Frames/s a `CaptureSession` delivers to its handler; with `sendTo`, the handler also
    /// sends each frame as a WireProtocol message to a peer that reads and decodes it.
    static func sessionRate(source: CaptureSource, settings: CaptureSettings, sendTo path: String?) throws -> Double {
        var server: MessageServer?
        var client: MessageConnection?
        if let path {
            var options = MessageServer.Options(path: path, localHello: Hello(role: .broker, name: "bench", pid: 1), acceptedRoles: [.capture])
            options.maxBodyLength = 8 << 20
            let reader = MessageServer(options: options, log: Log(component: "bench")) { connection in
                while true { _ = try connection.receive() }
            }
            try reader.start()
            server = reader
            client = try MessageConnection.connect(path: path, hello: Hello(role: .capture, name: "bench", pid: 1, camera: "bench"),
                                                   expecting: [.broker])
        }
        defer { client?.close(); server?.stop() }

        let timing = FrameTiming()
        let sender = client
        let session = CaptureSession(cameraId: "bench", source: source, settings: settings, log: Log(component: "bench")) { frame in
            if let sender {
                let message = Message.frame(VideoFrame(camera: "bench", sequence: frame.seq, captureMonotonicNs: frame.captureMonotonicNs,
                                                       captureWallNs: frame.captureWallNs, format: frame.pixelFormat == .gray8 ? .gray8 : .rgb24,
                                                       width: UInt32(frame.width), height: UInt32(frame.height),
                                                       stride: UInt32(frame.stride), pixels: PixelData(frame.pixels)))
                try? sender.send(message)
            }
            timing.mark()
        }
        session.start()
        defer { session.stop() }
        guard session.waitUntilDone(timeout: 120), session.state == .finished else { throw BenchError.session("\(session.state)") }
        let (count, seconds) = timing.result
        guard count > 1, seconds > 0 else { throw BenchError.session("only \(count) frames") }
        return Double(count - 1) / seconds
    }

    static func clipFrames(_ source: CaptureSource) -> Int {
        // Counted once with the session itself (every frame is delivered when unpaced).
        if let cached = cachedFrames { return cached }
        let timing = FrameTiming()
        let session = CaptureSession(cameraId: "bench", source: source, settings: CaptureSettings(pixelFormat: .gray8, maxWidth: 64, pacing: .unpaced),
                                     log: Log(component: "bench")) { _ in timing.mark() }
        session.start()
        _ = session.waitUntilDone(timeout: 120)
        session.stop()
        cachedFrames = timing.result.count
        return timing.result.count
    }

    nonisolated(unsafe) private static var cachedFrames: Int?

    /// Splits launch text into the words a shell would pass (gst-launch escapes each argv
    /// element, so quoted values must arrive unquoted, one per element).
    static func shellWords(_ text: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, escaped = false, inWord = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            switch ch {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle(); inWord = true
            case " " where !quoted:
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(ch); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// "0:00:00.296045000" -> seconds.
    static func parseClockTime(_ text: String) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]) else { return nil }
        return h * 3600 + m * 60 + s
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    enum BenchError: Error, CustomStringConvertible {
        case gstLaunch(String)
        case session(String)
        var description: String {
            switch self {
            case let .gstLaunch(output): "gst-launch-1.0 failed:\n\(output)"
            case let .session(why): "capture session did not finish: \(why)"
            }
        }
    }
}

/// First and last delivery times and the count, from the session thread, read after it ended.
private final class FrameTiming: Sendable {
    private let state = Locked((first: UInt64(0), last: UInt64(0), count: 0))

    func mark() {
        let now = MonotonicClock.nowNanoseconds()
        state.withLock { s in
            if s.count == 0 { s.first = now }
            s.last = now
            s.count += 1
        }
    }

    var result: (count: Int, seconds: Double) {
        state.withLock { s in (s.count, Double(s.last - s.first) / 1e9) }
    }
}
