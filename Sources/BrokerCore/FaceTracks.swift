import Vocabulary

/// One matched face in one frame: what a track remembers of it.
public struct TrackFrame: Hashable, Sendable {
    /// The frame's txn: how audit rows name the frames that confirmed an unlock.
    public var txn: DetectingTxn
    public var captureTime: MonotonicInstant
    public var box: FaceBox
    /// The 68-point landmarks, when the recognizer was asked for them.
    public var landmarks: FaceLandmarks?
    /// Distance to the member's nearest enrolled descriptor.
    public var distance: Double

    public init(txn: DetectingTxn, captureTime: MonotonicInstant, box: FaceBox, landmarks: FaceLandmarks?,
                distance: Double) {
        self.txn = txn
        self.captureTime = captureTime
        self.box = box
        self.landmarks = landmarks
        self.distance = distance
    }
}

/// The faces of one member seen by one camera during one trigger session, oldest first, one
/// per capture instant.
public struct FaceTrack: Hashable, Sendable {
    public var camera: CameraID
    public var session: SessionID
    public var member: MemberID
    public internal(set) var frames: [TrackFrame]
    /// The earliest capture instant ever recorded here, kept when that frame is dropped for
    /// memory: when the track began decides when its confirmation window is over, and dropping
    /// frames must not make a track look younger than it is.
    public internal(set) var firstCapture: MonotonicInstant

    public init(camera: CameraID, session: SessionID, member: MemberID, frames: [TrackFrame]) {
        self.camera = camera
        self.session = session
        self.member = member
        self.frames = frames.sorted { $0.captureTime < $1.captureTime }
        self.firstCapture = self.frames.first?.captureTime ?? .zero
    }
}

/// Short-lived face tracks per camera, session and member, in bounded memory.
///
/// The broker records every face that matched a member, under each session open at the
/// frame's capture (the frame's stored snapshot says which), and asks for the track of the
/// session that decides a lock. A frame is recorded under a session only if that session was
/// open at its capture, so a track never holds evidence from outside its session. A session
/// that ends drops its tracks (`sessionClosed`); a broker that loses its triggers drops them
/// all (`removeAll`).
///
/// Memory: at most `framesPerSession` frames per camera and session (all members together),
/// and `framesPerCamera` per camera (all sessions together); beyond either the frame captured
/// earliest is dropped. Cameras are the configured ones, so the whole store is bounded by
/// cameras × `framesPerCamera`.
public struct FaceTrackStore: Sendable {
    public struct Limits: Hashable, Sendable {
        public var framesPerSession: Int
        public var framesPerCamera: Int
        /// 64 frames is about 5 s of one face at the recognizer's ~12 frames/s: longer than any
        /// confirmation window worth waiting for at a door.
        public init(framesPerSession: Int = 64, framesPerCamera: Int = 256) {
            self.framesPerSession = framesPerSession
            self.framesPerCamera = framesPerCamera
        }

        public func problems() -> [String] {
            var problems: [String] = []
            if framesPerSession < 1 { problems.append("track frames per session must be at least 1") }
            if framesPerCamera < framesPerSession {
                problems.append("track frames per camera (\(framesPerCamera)) must be at least the frames per session (\(framesPerSession))")
            }
            return problems
        }
    }

    private struct Key: Hashable {
        var session: SessionID
        var member: MemberID
    }

    public let limits: Limits
    private var cameras: [CameraID: [Key: FaceTrack]] = [:]
    private var perSession: [CameraID: [SessionID: Int]] = [:]
    private var perCamera: [CameraID: Int] = [:]

    /// Limits below 1 (or a camera limit below the session limit) are raised to the smallest
    /// that works; `Limits.problems()` names them for a configuration check.
    public init(limits: Limits = Limits()) {
        let session = max(1, limits.framesPerSession)
        self.limits = Limits(framesPerSession: session, framesPerCamera: max(session, limits.framesPerCamera))
    }

    /// Records one matched face into the track of each session in `sessions` (the sessions
    /// open at its capture). A second face of the same member at the same capture instant (a
    /// person and their photo in one frame) keeps the closer match: an instant is one frame of
    /// evidence, never two. Returns how many frames were dropped to stay within the limits
    /// (possibly this one, if it is the oldest).
    @discardableResult
    public mutating func record(_ frame: TrackFrame, member: MemberID, camera: CameraID,
                                sessions: some Sequence<SessionID>) -> Int {
        var dropped = 0
        for session in Set(sessions).sorted() {
            let key = Key(session: session, member: member)
            var track = cameras[camera]?[key]
                ?? FaceTrack(camera: camera, session: session, member: member, frames: [])
            let wasEmpty = track.frames.isEmpty
            if let i = track.frames.firstIndex(where: { $0.captureTime == frame.captureTime }) {
                if frame.distance < track.frames[i].distance { track.frames[i] = frame }
                cameras[camera, default: [:]][key] = track
                continue
            }
            let at = track.frames.firstIndex { $0.captureTime > frame.captureTime } ?? track.frames.endIndex
            track.frames.insert(frame, at: at)
            track.firstCapture = wasEmpty ? frame.captureTime : min(track.firstCapture, frame.captureTime)
            cameras[camera, default: [:]][key] = track
            perSession[camera, default: [:]][session, default: 0] += 1
            perCamera[camera, default: 0] += 1
            while perSession[camera]![session]! > limits.framesPerSession {
                dropOldest(camera: camera, session: session)
                dropped += 1
            }
            while perCamera[camera]! > limits.framesPerCamera {
                dropOldest(camera: camera, session: nil)
                dropped += 1
            }
        }
        return dropped
    }

    /// The track of `member` on `camera` in `session`; nil when no face of theirs was kept.
    public func track(camera: CameraID, session: SessionID, member: MemberID) -> FaceTrack? {
        cameras[camera]?[Key(session: session, member: member)]
    }

    /// Every track of `session`, by camera then member.
    public func tracks(in session: SessionID) -> [FaceTrack] {
        cameras.keys.sorted().flatMap { camera in
            cameras[camera]!.filter { $0.key.session == session }.values.sorted { $0.member < $1.member }
        }
    }

    /// The session ended: its tracks are dropped and returned (a track that was still waiting
    /// for evidence gets its final verdict from them).
    public mutating func sessionClosed(_ session: SessionID) -> [FaceTrack] {
        let closed = tracks(in: session)
        for track in closed {
            cameras[track.camera]![Key(session: session, member: track.member)] = nil
            perCamera[track.camera]! -= track.frames.count
        }
        for camera in Set(closed.map(\.camera)) { perSession[camera]![session] = nil }
        return closed
    }

    /// Sessions that have at least one track.
    public var sessions: Set<SessionID> {
        var ids = Set<SessionID>()
        for tracks in cameras.values { for key in tracks.keys { ids.insert(key.session) } }
        return ids
    }

    /// Drops every track (the broker's trigger state is void).
    public mutating func removeAll() {
        cameras = [:]
        perSession = [:]
        perCamera = [:]
    }

    /// Frames kept, over every track (a frame recorded under two sessions counts twice).
    public var frameCount: Int { perCamera.values.reduce(0, +) }

    public func frameCount(camera: CameraID) -> Int { perCamera[camera, default: 0] }

    public func frameCount(camera: CameraID, session: SessionID) -> Int { perSession[camera]?[session] ?? 0 }

    /// Drops the earliest-captured frame on `camera` (within `session` if given); ties go to the
    /// lowest member id, then session id, so the outcome does not depend on dictionary order.
    private mutating func dropOldest(camera: CameraID, session: SessionID?) {
        guard let tracks = cameras[camera] else { return }
        var victim: Key?
        var oldest: MonotonicInstant?
        for (key, track) in tracks where session == nil || key.session == session {
            guard let t = track.frames.first?.captureTime else { continue }
            if let o = oldest, let v = victim {
                guard t < o || (t == o && (key.member, key.session.rawValue) < (v.member, v.session.rawValue)) else { continue }
            }
            victim = key
            oldest = t
        }
        guard let key = victim else { return }
        cameras[camera]![key]!.frames.removeFirst()
        if cameras[camera]![key]!.frames.isEmpty { cameras[camera]![key] = nil }
        perCamera[camera]! -= 1
        perSession[camera]![key.session]! -= 1
        if perSession[camera]![key.session]! == 0 { perSession[camera]![key.session] = nil }
    }
}
