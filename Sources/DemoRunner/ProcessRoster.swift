import Foundation
import TestSupport

/// The long-running processes the demo started, in order. They are stopped in reverse order
/// with SIGTERM (and SIGCONT, in case one is frozen), SIGKILL after 10 s, and how each one
/// ended is told: a clean SIGTERM exit is part of what the demo shows.
final class ProcessRoster {
    private var entries: [(name: String, child: ChildProcess, stopped: () -> Void)] = []

    var isEmpty: Bool { entries.isEmpty }

    /// `stopped` runs once the process has ended (e.g. to keep its log); it may also hold the
    /// object that owns the process, so that the process is stopped here and not by a deinit.
    func add(_ name: String, _ child: ChildProcess, stopped: @escaping () -> Void = {}) {
        entries.append((name, child, stopped))
    }

    func stopAll() {
        for (name, child, stopped) in entries.reversed() {
            Console.say("  \(name) \(Self.stop(child))")
            stopped()
        }
        entries = []
    }

    /// Stops one process and says how it ended.
    static func stop(_ child: ChildProcess) -> String {
        guard child.isRunning else {
            child.process.waitUntilExit()
            return "had already exited (\(ending(child.process)))"
        }
        child.signal(SIGTERM)
        child.signal(SIGCONT)
        var note = ""
        if !waitUntil(timeout: 10, interval: 0.05, { !child.isRunning }) {
            child.signal(SIGKILL)
            note = "did not stop within 10 s of SIGTERM: killed"
        }
        child.process.waitUntilExit()
        return note.isEmpty ? "stopped (\(ending(child.process)))" : note
    }

    static func ending(_ process: Process) -> String {
        let status = process.terminationStatus
        switch process.terminationReason {
        case .exit: return "exit \(status)"
        case .uncaughtSignal where status == SIGTERM: return "by SIGTERM"
        case .uncaughtSignal: return "by signal \(status)"
        @unknown default: return "status \(status)"
        }
    }
}
