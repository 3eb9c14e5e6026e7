import Foundation
import WireProtocol

/// Filters and prints tap events, one line each, from any thread.
/// Reason for @unchecked: `printed` is guarded by `lock`, held across printing so lines stay whole.
final class TapPrinter: @unchecked Sendable {
    let output: OutputOptions
    let kinds: Set<MessageKind>?
    private let lock = NSLock()
    private var printed = 0
    private let start = Date()

    init(output: OutputOptions, kinds: Set<MessageKind>?) {
        self.output = output
        self.kinds = kinds
    }

    /// Prints `event` if it passes the filters; returns true once `--count` is reached.
    func print(_ event: TapEvent) -> Bool {
        let message = event.message
        if let kinds, !kinds.contains(message.kind) { return false }
        if let camera = output.camera, message.camera != camera { return false }
        if let txn = output.txn, message.txn != txn { return false }
        var saved: String?
        if let dir = output.saveFrames {
            let frame: VideoFrame?
            switch message {
            case let .frame(f): frame = f
            case let .detect(d): frame = d.frame
            default: frame = nil
            }
            if let frame, !frame.pixels.isEmpty {
                let directory = URL(fileURLWithPath: dir)
                do {
                    saved = try (output.frameFormat == .png ? FramePNG.write(frame, txn: message.txn, to: directory)
                        : FrameImageWriter.write(frame, txn: message.txn, to: directory)).path
                } catch {
                    note("cannot save the frame of \(frame.camera) seq \(frame.sequence) in \(dir): \(error)")
                }
            }
        }
        let line: String
        if output.json {
            var object = MessageSummary.json(.tapEvent(event))
            if let saved { object["saved"] = saved }
            line = MessageSummary.jsonLine(object)
        } else {
            line = MessageSummary.text(.tapEvent(event)) + (saved.map { " saved=\($0)" } ?? "")
        }
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        printed += 1
        return output.count.map { printed >= $0 } ?? false
    }

    /// Status lines go to stderr so stdout stays pure messages (and pure JSON with --json).
    func note(_ text: String) {
        FileHandle.standardError.write(Data("facegate-tap: \(text)\n".utf8))
    }
}
