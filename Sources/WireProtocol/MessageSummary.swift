import Foundation
import Vocabulary

/// A detecting_txn as every process prints it: 16 hex digits, the broker run's prefix first,
/// so `grep txn=…` finds the same frame in the tap, the logs and the audit.
public func hexTxn(_ txn: UInt64) -> String {
    let digits = String(txn, radix: 16)
    return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}

/// Parses what `hexTxn` prints.
public func parseHexTxn(_ text: String) -> UInt64? {
    guard (1...16).contains(text.count) else { return nil }
    return UInt64(text, radix: 16)
}

/// How a message reads in a tap line or a log: one line of text, or one JSON object.
/// Pixels and descriptors are summarised (sizes, boxes), never dumped; landmarks show as their
/// count and eye centres in text, every point in JSON.
public enum MessageSummary {
    public static func text(_ message: Message) -> String {
        var parts = [message.kind.description]
        switch message {
        case let .hello(h):
            parts += ["role=\(h.role)", "name=\(h.name)", "pid=\(h.pid)", "version=\(h.version)"]
            if !h.camera.isEmpty { parts.append("camera=\(h.camera)") }
        case let .frame(f):
            parts += frameFields(f)
        case let .detect(d):
            parts += ["txn=\(hexTxn(d.txn))"] + frameFields(d.frame) + ["snapshot=\(snapshotText(d.snapshot))"]
            if d.snapshot.landmarksWanted { parts.append("landmarks=wanted") }
        case let .result(r):
            parts += ["txn=\(hexTxn(r.txn))", "camera=\(r.camera)", "seq=\(r.sequence)", "captured=\(r.captureMonotonicNs)",
                      "detect_us=\(r.detectMicros)", "descriptor_us=\(r.descriptorMicros)", "faces=\(r.faces.count)"]
            for (i, face) in r.faces.enumerated() {
                let b = face.box
                parts.append("face\(i)=(\(b.left),\(b.top),\(b.right),\(b.bottom)) q=\(String(format: "%.2f", face.quality))")
                if let landmarks = face.landmarks {
                    // The eye centres are what a reader checks a shape by: on the eyes of the
                    // saved frame, the person's right eye (on the image's left) first.
                    let (right, left) = (centre(landmarks[.rightEye]), centre(landmarks[.leftEye]))
                    parts.append("landmarks=\(landmarks.points.count) eyes=\(right)/\(left)")
                }
                if let chip = face.chip { parts.append("chip=\(chip.format.name):\(chip.width)x\(chip.height):\(chip.bytes.count)B") }
            }
        case let .credit(c):
            parts.append("count=\(c.count)")
        case let .heartbeat(h):
            parts.append("t=\(h.monotonicNs)")
            parts += h.counters.map { "\($0.name)=\($0.value)" }
        case let .error(e):
            parts += ["code=\(e.code)"] + (e.txn != 0 ? ["txn=\(hexTxn(e.txn))"] : []) + ["text=\(quoted(e.text))"]
        case let .tapSubscribe(s):
            parts += ["mask=0x\(String(s.kindMask, radix: 16))", "pixels=\(s.includePixels)"]
            if !s.camera.isEmpty { parts.append("camera=\(s.camera)") }
        case let .tapEvent(e):
            return "\(e.direction) \(e.peer) " + text(e.message)
        case .statusRequest:
            break
        case let .statusReply(s):
            parts.append("bytes=\(s.json.utf8.count)")
        case let .motion(m):
            parts += ["camera=\(m.camera)", "on=\(m.active)", "camera_time=\(m.cameraWallNs)"]
            if !m.detail.isEmpty { parts.append("detail=\(quoted(m.detail))") }
        }
        return parts.joined(separator: " ")
    }

    /// `(412.5,300.0)`: the mean of some landmarks, one decimal.
    private static func centre(_ points: ArraySlice<LandmarkPoint>) -> String {
        let n = Float(points.count)
        let x = points.reduce(0) { $0 + $1.x } / n, y = points.reduce(0) { $0 + $1.y } / n
        return "(" + String(format: "%.1f", x) + "," + String(format: "%.1f", y) + ")"
    }

    private static func frameFields(_ f: VideoFrame) -> [String] {
        ["camera=\(f.camera)", "seq=\(f.sequence)", "captured=\(f.captureMonotonicNs)",
         "\(f.width)x\(f.height)", "\(f.format)", "stride=\(f.stride)", "bytes=\(f.pixels.count)"]
    }

    /// `{DC006#5f3a91c200000003,motion}`: the sessions (and motion) a frame was admitted for.
    public static func snapshotText(_ s: Snapshot) -> String {
        let sessions = s.sessions.map { "\($0.lock)#\($0.sessionID)" }.joined(separator: ",")
        return "{" + sessions + (s.motion ? (sessions.isEmpty ? "motion" : ",motion") : "") + "}"
    }

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// A JSON-ready dictionary (keys sorted when serialised).
    public static func json(_ message: Message) -> [String: Any] {
        var object: [String: Any] = ["kind": message.kind.description]
        switch message {
        case let .hello(h):
            object.merge(["role": h.role.description, "name": h.name, "pid": h.pid, "version": h.version, "camera": h.camera]) { $1 }
        case let .frame(f):
            object.merge(frameJSON(f)) { $1 }
        case let .detect(d):
            object.merge(frameJSON(d.frame)) { $1 }
            object["txn"] = hexTxn(d.txn)
            object["snapshot"] = [
                "capture_mono_ns": d.snapshot.captureMonotonicNs,
                "motion": d.snapshot.motion,
                "landmarks_wanted": d.snapshot.landmarksWanted,
                "sessions": d.snapshot.sessions.map { ["id": $0.sessionID, "lock": $0.lock] as [String: Any] },
            ] as [String: Any]
        case let .result(r):
            object.merge(["txn": hexTxn(r.txn), "camera": r.camera, "seq": r.sequence, "capture_mono_ns": r.captureMonotonicNs,
                          "detect_us": r.detectMicros, "descriptor_us": r.descriptorMicros,
                          "faces": r.faces.map { f in
                              var face: [String: Any] = ["box": [f.box.left, f.box.top, f.box.right, f.box.bottom],
                                                         "quality": Double(f.quality)]
                              // All 68 points: the JSON output is for tools that draw or judge them.
                              if let landmarks = f.landmarks { face["landmarks"] = landmarks.points.map { [Double($0.x), Double($0.y)] } }
                              // The picture's size, not its bytes: the tap summarises.
                              if let chip = f.chip {
                                  face["chip"] = ["format": chip.format.name, "width": chip.width, "height": chip.height,
                                                  "bytes": chip.bytes.count] as [String: Any]
                              }
                              return face
                          }]) { $1 }
        case let .credit(c):
            object["count"] = c.count
        case let .heartbeat(h):
            object["mono_ns"] = h.monotonicNs
            object["counters"] = Dictionary(h.counters.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        case let .error(e):
            object.merge(["code": e.code.description, "txn": hexTxn(e.txn), "text": e.text]) { $1 }
        case let .tapSubscribe(s):
            object.merge(["kind_mask": s.kindMask, "include_pixels": s.includePixels, "camera": s.camera]) { $1 }
        case let .tapEvent(e):
            var inner = json(e.message)
            inner["direction"] = e.direction.description
            inner["peer"] = e.peer
            inner["mono_ns"] = e.monotonicNs
            return inner
        case .statusRequest:
            break
        case let .statusReply(s):
            object["json"] = s.json
        case let .motion(m):
            object.merge(["camera": m.camera, "on": m.active, "camera_wall_ns": m.cameraWallNs, "detail": m.detail]) { $1 }
        }
        return object
    }

    private static func frameJSON(_ f: VideoFrame) -> [String: Any] {
        ["camera": f.camera, "seq": f.sequence, "capture_mono_ns": f.captureMonotonicNs, "capture_wall_ns": f.captureWallNs,
         "width": f.width, "height": f.height, "stride": f.stride, "format": f.format.description, "bytes": f.pixels.count]
    }

    public static func jsonLine(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let line = String(data: data, encoding: .utf8) else { return "{}" }
        return line
    }
}
