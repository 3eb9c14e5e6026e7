import Foundation

/// What the timeline picture of one decision shows, in wall-clock ns.
public struct DecisionTimeline: Sendable, Hashable {
    /// One lock's occupancy sessions near the frame; `end` nil while still open.
    public struct Session: Sendable, Hashable {
        public var startNs: Int64
        public var endNs: Int64?
        public init(startNs: Int64, endNs: Int64?) { self.startNs = startNs; self.endNs = endNs }
    }

    public struct Lane: Sendable, Hashable {
        public var lock: String
        public var sessions: [Session]
        /// A session of this lock was open at the capture instant (in the frame's snapshot).
        public var inSnapshot: Bool
        /// The decision opened this lock.
        public var opened: Bool
        public init(lock: String, sessions: [Session], inSnapshot: Bool, opened: Bool) {
            self.lock = lock; self.sessions = sessions; self.inSnapshot = inSnapshot; self.opened = opened
        }
    }

    public var captureNs: Int64?
    public var decisionNs: Int64
    public var lanes: [Lane]

    public init(captureNs: Int64?, decisionNs: Int64, lanes: [Lane]) {
        self.captureNs = captureNs; self.decisionNs = decisionNs; self.lanes = lanes
    }
}

/// The decision's race as an SVG: a lane per lock with its occupancy sessions as bars, a line
/// at the frame's capture instant and one at the decision instant, each lane marked with
/// whether its lock was in the snapshot and whether it opened. Anyone sees why a door did or
/// did not open: a touch that began after the capture is a bar starting right of the line.
public enum TimelineSVG {
    public static let width = 640
    static let laneHeight = 28
    static let top = 34
    static let labelWidth = 90
    static let statusWidth = 110

    public static func render(_ t: DecisionTimeline) -> String {
        let instants = [t.decisionNs] + (t.captureNs.map { [$0] } ?? [])
        let sessionEdges = t.lanes.flatMap { $0.sessions.flatMap { [$0.startNs] + ($0.endNs.map { [$0] } ?? []) } }
        var lo = (instants + sessionEdges).min()!
        var hi = (instants + sessionEdges).max()!
        // At least a second wide, with a margin so the lines are not on the frame's edge.
        let span = max(hi - lo, 1_000_000_000)
        lo -= span / 10
        hi = lo + span + span / 5
        let plotLeft = labelWidth, plotRight = width - statusWidth
        func x(_ ns: Int64) -> Int {
            plotLeft + Int((Double(ns - lo) / Double(hi - lo) * Double(plotRight - plotLeft)).rounded())
        }
        let height = top + max(1, t.lanes.count) * laneHeight + 26
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" role="img" aria-label="decision timeline">
            <style>text{font:12px sans-serif}.s{fill:#8ab4f8}.open{fill:#1e8e3e}.shut{fill:#b3261e}.cap{stroke:#1a73e8}.dec{stroke:#d93025}</style>
            <rect x="\(plotLeft)" y="\(top - 4)" width="\(plotRight - plotLeft)" height="\(max(1, t.lanes.count) * laneHeight)" fill="#f6f8fa"/>

            """
        for (i, lane) in t.lanes.enumerated() {
            let y = top + i * laneHeight
            svg += "<g class=\"lane\" data-lock=\"\(html(lane.lock))\">"
            svg += "<text x=\"4\" y=\"\(y + 15)\">\(html(lane.lock))</text>"
            for s in lane.sessions {
                let x0 = x(s.startNs), x1 = x(s.endNs ?? hi)
                svg += "<rect class=\"s\" x=\"\(x0)\" y=\"\(y + 4)\" width=\"\(max(2, x1 - x0))\" height=\"14\">"
                svg += "<title>\(html(lane.lock)) session \(relative(s.startNs, to: t))–\(s.endNs.map { relative($0, to: t) } ?? "open")</title></rect>"
            }
            let word = lane.opened ? "opened" : (lane.inSnapshot ? "in snapshot, not opened" : "not in snapshot")
            svg += "<text class=\"\(lane.opened ? "open" : "shut")\" x=\"\(plotRight + 6)\" y=\"\(y + 15)\">\(word)</text>"
            svg += "</g>\n"
        }
        let bottom = top + max(1, t.lanes.count) * laneHeight
        if let capture = t.captureNs {
            svg += "<line class=\"cap\" x1=\"\(x(capture))\" y1=\"\(top - 8)\" x2=\"\(x(capture))\" y2=\"\(bottom)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(x(capture) - 20)\" y=\"\(top - 12)\" fill=\"#1a73e8\">capture</text>\n"
        }
        let d = x(t.decisionNs)
        svg += "<line class=\"dec\" x1=\"\(d)\" y1=\"\(top - 8)\" x2=\"\(d)\" y2=\"\(bottom)\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>"
        svg += "<text x=\"\(d + 4)\" y=\"\(bottom + 14)\" fill=\"#d93025\">decision \(t.captureNs.map { "+" + milliseconds(t.decisionNs - $0) } ?? "")</text>\n"
        svg += "</svg>"
        return svg
    }

    /// `-1.250 s` relative to the capture (or the decision when there is no capture).
    static func relative(_ ns: Int64, to t: DecisionTimeline) -> String {
        let zero = t.captureNs ?? t.decisionNs
        return String(format: "%+.3f s", Double(ns - zero) / 1e9)
    }

    static func milliseconds(_ ns: Int64) -> String { String(format: "%.0f ms", Double(ns) / 1e6) }
}
