import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol

/// The decoder against many more mutated messages than the unit test runs: a seed corpus of
/// one valid message per kind, mutated and decoded; anything that decodes must re-encode to
/// exactly the same bytes. Prints the rate and the outcome counts; exits non-zero on a finding.
enum WireFuzz {
    static func corpus() -> [[UInt8]] {
        let frame = VideoFrame(camera: "cam-a", sequence: 7, captureMonotonicNs: 1 << 40, captureWallNs: -1, format: .rgb24,
                               width: 3, height: 2, stride: 12, pixels: PixelData((0..<24).map { UInt8($0) }))
        let snapshot = Snapshot(captureMonotonicNs: 5, motion: true,
                                sessions: [SnapshotSession(sessionID: 9, lock: "DC001"), SnapshotSession(sessionID: 10, lock: "DC006")],
                                landmarksWanted: true)
        let face = DetectedFace(box: FaceBox(left: 1, top: 2, right: 30, bottom: 40), quality: 0.9,
                                descriptor: try! FaceDescriptor((0..<128).map { Float($0) / 256 }))
        var shaped = face
        shaped.landmarks = try! FaceLandmarks((0..<68).map { LandmarkPoint(x: Float($0) + 0.5, y: Float(2 * $0) - 3) })
        let messages: [Message] = [
            .hello(Hello(role: .recognizer, name: "r1", pid: 42)),
            .frame(frame),
            .detect(Detect(txn: 0x1234_5678_0000_0001, snapshot: snapshot, frame: frame)),
            .result(RecognitionResult(txn: 1, camera: "cam-a", sequence: 7, captureMonotonicNs: 5, detectMicros: 10,
                                      descriptorMicros: 20, faces: [face, shaped])),
            .credit(Credit(count: 2)),
            .heartbeat(Heartbeat(monotonicNs: 9, counters: [Counter("frames_sent", 3), Counter("dropped", 1)])),
            .error(ErrorMessage(code: .invalidFrame, txn: 3, text: "bad frame")),
            .tapSubscribe(TapSubscribe(kindMask: 6, includePixels: true, camera: "cam-a")),
            .tapEvent(TapEvent(monotonicNs: 1, direction: .received, peer: "capture:cam-a", pixelsStripped: true,
                               message: .frame(VideoFrame(camera: "cam-a", sequence: 1, captureMonotonicNs: 1, captureWallNs: 1,
                                                          format: .gray8, width: 2, height: 2, stride: 2, pixels: PixelData([]))))),
            .statusRequest,
            .statusReply(StatusReply(json: #"{"ok":true}"#)),
            .motion(MotionReport(camera: "cam-a", active: true, cameraWallNs: 1_700_000_000_000_000_000, detail: "tns1:VideoSource/MotionAlarm State")),
        ]
        return messages.map(MessageCodec.encodeBody)
    }

    static func run(mutations: Int, seed: UInt64) throws {
        let bodies = corpus()
        var rng = SplitMix64(seed: seed)
        var decoded = 0, rejected = 0, findings = 0
        let start = MonotonicClock.nowNanoseconds()
        for i in 0..<mutations {
            var body = bodies[i % bodies.count]
            WireMutator.mutate(&body, &rng)
            do {
                let message = try MessageCodec.decodeBody(body)
                decoded += 1
                if MessageCodec.encodeBody(message) != body {
                    findings += 1
                    print("finding: mutation \(i) (seed \(seed)) decoded to a message that re-encodes differently")
                }
            } catch is WireError {
                rejected += 1
            }
        }
        let seconds = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        print("wire fuzz: \(mutations) mutations of \(bodies.count) valid messages, seed \(seed)")
        print(String(format: "  %.0f mutations/s; decoded and canonical %d, rejected with a typed error %d, findings %d",
                     Double(mutations) / seconds, decoded, rejected, findings))
        if findings > 0 { throw BenchError.failed("\(findings) non-canonical decodes") }
    }
}
