import Foundation

/// The new complete lines of a file that another process keeps appending to (a log, the lock
/// simulator's record); a line still being written is kept until its newline arrives.
final class LineFollower {
    let url: URL
    private var offset: UInt64 = 0
    private var partial = Data()

    init(_ url: URL) { self.url = url }

    func newLines() -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        var buffer = partial + data
        var lines: [String] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
            buffer = Data(buffer[buffer.index(after: newline)...])
        }
        partial = buffer
        return lines
    }

    /// Skips what is there now: it happened before the part of the story being told.
    func skipToEnd() { _ = newLines() }
}
