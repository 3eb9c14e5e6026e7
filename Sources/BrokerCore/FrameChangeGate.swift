/// Spares the recognizer a frame that shows what the last judged frame of the same sessions
/// showed: detection on it could only repeat that frame's answer.
///
/// It lives in the broker's decision core, not in the capture or the recognizer, because only
/// here are both things it needs known at once: the sessions a frame belongs to (its snapshot)
/// and which frames were actually judged (a result came back for their txn). The capture does
/// not know sessions; a recognizer sees only the frames it is given, and skipping there would
/// still cost the frame's trip and a recognizer's credit.
///
/// Rules, each for a reason:
/// - The reference is a *judged* frame (its result arrived in time), never a frame merely sent:
///   a frame replaced in the queue, lost with its recognizer or answered with an error said
///   nothing about the scene.
/// - A frame is compared only with the reference of exactly the same sessions. The first frame
///   after a touch opens a new session, so it never has a reference: it is always judged, and
///   nothing here can delay the first decision after a touch.
/// - A judged frame with faces becomes a reference only when a repeat could only repeat its
///   decisions (`repeatable`): a lock that counts frames or judges liveness needs the repeats
///   (a blink changes too few pixels to show in a thumbnail), a `too_soon` may pass with time,
///   and an unlock whose command failed may be retried from the next frame.
public struct FrameChangeGate: Sendable {
    public struct Reference: Hashable, Sendable {
        public var sessions: [SessionID]
        public var captureTime: MonotonicInstant
        public var thumbnail: FrameThumbnail
    }

    private struct Sent {
        var camera: CameraID
        var reference: Reference
    }

    /// Frames sent and not yet judged or written off, at most `capacity` (oldest go first).
    private var sent: [DetectingTxn: Sent] = [:]
    private var references: [CameraID: Reference] = [:]
    private let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The difference to the reference when the frame is unchanged (every cell within
    /// `threshold` grey levels of it) and may be skipped; nil when it must be judged.
    /// `threshold` 0 turns the gate off.
    public func unchanged(camera: CameraID, sessions: [SessionID], thumbnail: FrameThumbnail, threshold: Int) -> Int? {
        guard threshold > 0, let reference = references[camera], reference.sessions == sessions else { return nil }
        let difference = thumbnail.largestCellDifference(to: reference.thumbnail)
        return difference <= threshold ? difference : nil
    }

    /// The frame of `txn` was admitted for detection.
    public mutating func admitted(txn: DetectingTxn, camera: CameraID, sessions: [SessionID], captureTime: MonotonicInstant,
                                  thumbnail: FrameThumbnail) {
        if sent.count >= capacity, let oldest = sent.min(by: { $0.value.reference.captureTime < $1.value.reference.captureTime }) {
            sent[oldest.key] = nil
        }
        sent[txn] = Sent(camera: camera, reference: Reference(sessions: sessions, captureTime: captureTime, thumbnail: thumbnail))
    }

    /// The result of `txn` was judged. `repeatable`: judging the same picture again could only
    /// give the same decisions (no face, or only single-frame policies at stake); otherwise
    /// the camera keeps no reference and its next frames are judged.
    public mutating func judged(txn: DetectingTxn, repeatable: Bool) {
        guard let frame = sent.removeValue(forKey: txn) else { return }
        guard repeatable else {
            references[frame.camera] = nil
            return
        }
        // Results may come back out of order (several recognizers): the newest capture wins.
        if let current = references[frame.camera], current.sessions == frame.reference.sessions,
           current.captureTime > frame.reference.captureTime {
            return
        }
        references[frame.camera] = frame.reference
    }

    /// The frame of `txn` will never be judged (replaced, failed, implausible, lost).
    public mutating func forget(txn: DetectingTxn) {
        sent[txn] = nil
    }

    /// Every camera's next frame is judged (an unlock whose command failed: its repeats may
    /// unlock again).
    public mutating func forgetReferences() {
        references.removeAll()
    }

    public var pendingCount: Int { sent.count }
    public func reference(camera: CameraID) -> Reference? { references[camera] }
}
