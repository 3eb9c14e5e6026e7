import Foundation
import ProcessSupport

/// One narrated line: when (CLOCK_MONOTONIC), who, what.
struct NarrationLine: Equatable {
    var ns: UInt64
    var who: String
    var text: String
}

/// The story's time: story seconds since the first touch (real seconds / scale), and the
/// `@ 13.0  who        text` lines told on it.
final class StoryClock {
    let scale: Double
    private(set) var start: UInt64?

    init(scale: Double) { self.scale = scale }

    static func now() -> UInt64 { MonotonicClock.nowNanoseconds() }

    func begin() { start = Self.now() }

    /// Story seconds at a CLOCK_MONOTONIC instant (negative before the story began).
    func seconds(at ns: UInt64) -> Double {
        guard let start else { return 0 }
        return (Double(ns) - Double(start)) / 1e9 / scale
    }

    /// The CLOCK_MONOTONIC instant of story second `t`.
    func instant(_ t: Double) -> UInt64 {
        (start ?? Self.now()) + UInt64((t * scale * 1e9).rounded())
    }

    func stamp(_ ns: UInt64) -> String {
        String(format: "@%5.1f", seconds(at: ns))
    }

    func say(_ line: NarrationLine) {
        let stamp = start == nil ? String(repeating: " ", count: 6) : self.stamp(line.ns)
        let who = line.who.count >= 10 ? line.who : line.who + String(repeating: " ", count: 10 - line.who.count)
        Console.say("\(stamp)  \(who) \(line.text)")
    }

    func say(_ who: String, _ text: String) { say(NarrationLine(ns: Self.now(), who: who, text: text)) }
}
