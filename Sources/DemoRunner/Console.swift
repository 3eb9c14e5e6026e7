import Foundation
import ProcessSupport

/// The demo's stdout is a narration that is often piped (make, tee): every line is flushed at
/// once so that it appears when it happens, and stderr lines land in order with it.
enum Console {
    static func say(_ line: String = "") {
        print(line)
        flushStandardOutput()
    }

    static func error(_ line: String) {
        flushStandardOutput()
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A path as the user reads it: relative to the current directory when it is inside it.
    static func shown(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Story seconds and scales as people write them: 1, 0.5, 15.
    static func number(_ value: Double) -> String {
        String(format: "%g", value)
    }
}
