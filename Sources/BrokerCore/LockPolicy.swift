import Vocabulary

/// One lock's rule for turning a face track into an unlock: how many frames must confirm the
/// member, within how long, and which liveness checks they must pass.
///
/// `LockPolicy()` is `confirm_frames = 1`, liveness off: what every lock did before policies.
public struct LockPolicy: Hashable, Sendable {
    /// Frames captured at distinct instants that must have matched the member (k).
    public var confirmFrames: Int
    /// The k frames, and the frames liveness is judged on, lie within this span ending at the
    /// track's newest frame. Also how long a track may wait for evidence before it is denied.
    public var confirmWindow: TimeSpan
    public var liveness: LivenessCheck
    public var thresholds: LivenessThresholds

    public init(confirmFrames: Int = 1, confirmWindow: TimeSpan = .seconds(2), liveness: LivenessCheck = .off,
                thresholds: LivenessThresholds = LivenessThresholds()) {
        self.confirmFrames = confirmFrames
        self.confirmWindow = confirmWindow
        self.liveness = liveness
        self.thresholds = thresholds
    }

    /// One matching frame decides, as before policies: no track is kept, nothing waits.
    public var isSingleFrame: Bool { confirmFrames <= 1 && liveness == .off }

    /// Every problem, each naming what is wrong; empty when usable.
    public func problems() -> [String] {
        var problems: [String] = []
        if confirmFrames < 1 { problems.append("confirm_frames must be at least 1") }
        if confirmWindow == .zero && (confirmFrames > 1 || liveness != .off) {
            problems.append("confirm_window must be positive when confirm_frames is above 1 or liveness is on")
        }
        if liveness != .off { problems += thresholds.problems() }
        return problems
    }
}

/// Why a policy refused a track, as the audit stores it.
public enum PolicyDenial: String, Hashable, Sendable, Codable, CaseIterable {
    /// Fewer than `confirm_frames` frames matched within the window.
    case notConfirmed = "not_confirmed"
    /// Enough frames, but they failed a liveness check (or could not be judged).
    case livenessFailed = "liveness_failed"
}

/// What a track still lacks while its window is open.
public enum MissingEvidence: Hashable, Sendable, CustomStringConvertible {
    case frames(have: Int, need: Int)
    /// Frames with usable 68-point landmarks.
    case landmarks(have: Int, need: Int)
    /// No two frames differ by enough non-similar motion to judge planarity (eye distances).
    case motion(measured: Double, need: Double)
    /// Judged, and so far explained by one plane (eye distances).
    case parallax(measured: Double, need: Double)
    case blink

    public var description: String {
        switch self {
        case let .frames(have, need): "\(have) of \(need) confirming frames"
        case let .landmarks(have, need): "\(have) of \(need) frames with landmarks"
        case let .motion(measured, need): "too little motion yet (\(fmt3(measured)) eye distances, need \(fmt3(need)))"
        case let .parallax(measured, need): "no parallax yet (planar residual \(fmt3(measured)) < \(fmt3(need)))"
        case .blink: "no blink yet"
        }
    }
}

/// The `planar` check's figures for one evaluation.
public struct PlanarMeasurement: Hashable, Sendable {
    /// Frames with usable landmarks that were compared.
    public var frames: Int
    /// Frame pairs compared, and of those, pairs with enough motion to judge.
    public var pairs: Int
    public var judgedPairs: Int
    /// Non-similar motion (eye distances): the largest between two frames that remains
    /// whichever one frame is left out.
    public var motion: Double
    /// Planar residual (eye distances): the median over the judged pairs that remains
    /// whichever one frame is left out (the smallest such median); nil when not judged.
    public var residual: Double?
    /// `residual` in pixels at the compared frames' mean eye distance, for people reading audit.
    public var residualPixels: Double?
}

/// The `blink` check's figures for one evaluation.
public struct BlinkMeasurement: Hashable, Sendable {
    /// Frames whose eye aspect ratio could be measured.
    public var frames: Int
    /// Smallest and largest eye aspect ratio seen; nil without frames.
    public var lowest: Double?
    public var highest: Double?
    /// The ratio went from open to closed and back to open, in capture order.
    public var blinked: Bool
}

/// A policy's answer for one track at one instant.
public struct PolicyEvaluation: Hashable, Sendable {
    public enum Verdict: Hashable, Sendable {
        case unlock
        /// Not enough evidence yet, and the window is still open.
        case wait([MissingEvidence])
        case deny(PolicyDenial)
    }

    public var verdict: Verdict
    /// The frames judged, oldest first: inside the session, one per capture instant, within the
    /// window ending at the newest of them. On unlock, the frames that confirmed it.
    public var frames: [TrackFrame]
    public var planar: PlanarMeasurement?
    public var blink: BlinkMeasurement?
    /// One line for the audit: on unlock which frames confirmed it, on wait what is missing, on
    /// deny the measured figures against the thresholds.
    public var reason: String
}

extension LockPolicy {
    /// Judges `track` for a lock whose deciding session spans `session` (`[start, end)`; an open
    /// session's end is its current deadline), at `now`.
    ///
    /// Only frames captured inside `session` count, one per capture instant (the closest
    /// match), and only those within `confirmWindow` of the newest of them. Unlock when at
    /// least `confirmFrames` such frames exist and every liveness check passes on them. Until
    /// `confirmWindow` has passed since the track's first frame in the session, anything
    /// lacking is `wait`; after that it is `deny`. A deny judges the evidence so far, not the
    /// member: the track keeps collecting, and a later frame (a person who stood still, then
    /// turned) may still unlock within the session.
    public func evaluate(_ track: FaceTrack, session: Range<MonotonicInstant>, now: MonotonicInstant) -> PolicyEvaluation {
        var byInstant: [MonotonicInstant: TrackFrame] = [:]
        for f in track.frames where session.contains(f.captureTime) {
            if let kept = byInstant[f.captureTime], kept.distance <= f.distance { continue }
            byInstant[f.captureTime] = f
        }
        let inSession = byInstant.values.sorted { $0.captureTime < $1.captureTime }
        let first = max(session.lowerBound, min(track.firstCapture, inSession.first?.captureTime ?? track.firstCapture))
        let windowOver = now >= first + confirmWindow
        let frames = inSession.last.map { newest in
            inSession.filter { $0.captureTime >= newest.captureTime - confirmWindow }
        } ?? []

        var missing: [MissingEvidence] = []
        var failures: [String] = []
        var passes: [String] = []
        if frames.count < confirmFrames { missing.append(.frames(have: frames.count, need: confirmFrames)) }

        var planar: PlanarMeasurement?
        if liveness.checksPlanar {
            let (m, lack) = judgePlanar(frames)
            planar = m
            if let lack {
                missing.append(lack)
                failures.append(Self.planarFailure(m, lack, thresholds))
            } else {
                passes.append("planar residual \(fmt3(m.residual!)) eye distances\(Self.pixels(m)) over \(framesText(m.frames)) "
                    + ">= \(fmt3(thresholds.parallax))")
            }
        }
        var blink: BlinkMeasurement?
        if liveness.checksBlink {
            let m = judgeBlink(frames)
            blink = m
            if m.blinked {
                passes.append("blink: eye aspect ratio \(fmt3(m.lowest!))-\(fmt3(m.highest!)) over \(framesText(m.frames))")
            } else if m.frames < 3 {
                missing.append(.landmarks(have: m.frames, need: 3))
                failures.append("blink: \(framesText(m.frames)) with landmarks, need 3")
            } else {
                missing.append(.blink)
                failures.append("no blink: eye aspect ratio \(fmt3(m.lowest!))-\(fmt3(m.highest!)) over \(framesText(m.frames)), "
                    + "never below \(fmt3(thresholds.eyeClosed)) and back to \(fmt3(thresholds.eyeOpen))")
            }
        }

        let within = "within \(confirmWindow)"
        let confirmation = "confirmed by \(frames.count) of \(confirmFrames) frames \(within)"
        if missing.isEmpty {
            let txns = frames.map { $0.txn.description }.joined(separator: ",")
            let reason = (["confirmed by \(framesText(frames.count)) \(within) (txn \(txns))"] + passes).joined(separator: "; ")
            return PolicyEvaluation(verdict: .unlock, frames: frames, planar: planar, blink: blink, reason: reason)
        }
        if !windowOver {
            let reason = "waiting: " + missing.map(\.description).joined(separator: "; ")
            return PolicyEvaluation(verdict: .wait(missing), frames: frames, planar: planar, blink: blink, reason: reason)
        }
        if frames.count < confirmFrames {
            let reason = ([confirmation] + failures).joined(separator: "; ")
            return PolicyEvaluation(verdict: .deny(.notConfirmed), frames: frames, planar: planar, blink: blink, reason: reason)
        }
        let reason = failures.joined(separator: "; ") + "; confirmed by \(framesText(frames.count)) \(within)"
        return PolicyEvaluation(verdict: .deny(.livenessFailed), frames: frames, planar: planar, blink: blink, reason: reason)
    }

    /// Pairwise over up to `planarFrames` frames with usable landmarks, spread over the window
    /// (the first and the newest always among them: the widest pose difference is the best
    /// evidence). Pairs that moved enough are judged by their planar residual.
    ///
    /// Every figure is what remains whichever ONE frame is left out: the motion is the smallest,
    /// over the frames left out, of the largest motion among the other pairs; the residual the
    /// smallest, over the frames left out, of the median residual of the other judged pairs. A
    /// single frame with misplaced landmarks (motion blur, a half-turned photo) is large motion
    /// and large residual against every other frame; it must not make a photo live alone. Hence
    /// at least 3 frames.
    private func judgePlanar(_ frames: [TrackFrame]) -> (PlanarMeasurement, MissingEvidence?) {
        var usable: [(shape: LandmarkGeometry.CanonicalShape, landmarks: FaceLandmarks)] = []
        for f in frames {
            guard let l = f.landmarks, LandmarkGeometry.eyeDistance(l) > 0, let c = LandmarkGeometry.CanonicalShape(l) else { continue }
            usable.append((c, l))
        }
        let limit = max(2, thresholds.planarFrames)
        let shapes = usable.count <= limit ? usable
            : (0..<limit).map { usable[Int((Double($0) * Double(usable.count - 1) / Double(limit - 1)).rounded())] }

        struct Pair { var i: Int, j: Int, motion: Double, residual: Double? }
        var pairs: [Pair] = []
        for i in shapes.indices {
            for j in shapes.indices where j > i {
                guard let motion = LandmarkGeometry.nonSimilarMotion(shapes[i].landmarks, shapes[j].landmarks) else { continue }
                let residual = motion >= thresholds.motion ? LandmarkGeometry.planarResidual(shapes[i].shape, shapes[j].shape) : nil
                pairs.append(Pair(i: i, j: j, motion: motion, residual: residual))
            }
        }
        var motion = 0.0, residual: Double?
        if shapes.count >= 3 {
            motion = .infinity
            for left in shapes.indices {
                let others = pairs.filter { $0.i != left && $0.j != left }
                motion = min(motion, others.map(\.motion).max() ?? 0)
                let judged = others.compactMap(\.residual).sorted()
                let median = judged.isEmpty ? 0
                    : judged.count % 2 == 1 ? judged[judged.count / 2]
                    : (judged[judged.count / 2 - 1] + judged[judged.count / 2]) / 2
                residual = min(residual ?? .infinity, median)
            }
        }
        let judgedPairs = pairs.filter { $0.residual != nil }.count
        if motion < thresholds.motion { residual = nil }
        let meanEyes = shapes.isEmpty ? 0
            : shapes.reduce(0) { $0 + LandmarkGeometry.eyeDistance($1.landmarks) } / Double(shapes.count)
        let m = PlanarMeasurement(frames: shapes.count, pairs: pairs.count, judgedPairs: judgedPairs, motion: motion,
                                  residual: residual, residualPixels: residual.map { $0 * meanEyes })
        if shapes.count < 3 { return (m, .landmarks(have: shapes.count, need: 3)) }
        guard let residual else { return (m, .motion(measured: motion, need: thresholds.motion)) }
        return (m, residual >= thresholds.parallax ? nil : .parallax(measured: residual, need: thresholds.parallax))
    }

    /// Open, then closed, then open again, in capture order; with a gap between the two
    /// thresholds so that jitter around one value is not a blink.
    private func judgeBlink(_ frames: [TrackFrame]) -> BlinkMeasurement {
        var ratios: [Double] = []
        for f in frames {
            if let l = f.landmarks, let r = LandmarkGeometry.eyeAspectRatio(l) { ratios.append(r) }
        }
        var sawOpen = false, sawClosed = false, blinked = false
        for r in ratios {
            if r >= thresholds.eyeOpen {
                if sawClosed { blinked = true; break }
                sawOpen = true
            } else if r < thresholds.eyeClosed && sawOpen {
                sawClosed = true
            }
        }
        return BlinkMeasurement(frames: ratios.count, lowest: ratios.min(), highest: ratios.max(), blinked: blinked)
    }

    private static func planarFailure(_ m: PlanarMeasurement, _ lack: MissingEvidence, _ t: LivenessThresholds) -> String {
        switch lack {
        case let .landmarks(have, need):
            return "planar: \(framesText(have)) with usable landmarks, need \(need)"
        case let .motion(measured, need):
            return "planar: too little motion to judge: \(fmt3(measured)) eye distances over \(framesText(m.frames)) < \(fmt3(need))"
        default:
            return "planar residual \(fmt3(m.residual ?? 0)) eye distances\(pixels(m)) over \(framesText(m.frames)) "
                + "< \(fmt3(t.parallax)) (\(m.judgedPairs) of \(m.pairs) pairs judged)"
        }
    }

    private static func pixels(_ m: PlanarMeasurement) -> String {
        guard let px = m.residualPixels else { return "" }
        return " (\(fmt1(px)) px)"
    }
}

extension TriggerSession {
    /// `[start, end)`: what `LockPolicy.evaluate` restricts a track to.
    public var span: Range<MonotonicInstant> { start..<end }
}

func framesText(_ n: Int) -> String { n == 1 ? "1 frame" : "\(n) frames" }

func fmt1(_ x: Double) -> String {
    guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
    let v = Int((abs(x) * 10).rounded())
    return (x < 0 && v != 0 ? "-" : "") + "\(v / 10).\(v % 10)"
}
