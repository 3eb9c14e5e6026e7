import Foundation
import GalleryStore
import MQTTClient
import ProcessSupport
import TestSupport
import WireProtocol

/// The whole pipeline on the clip: real mosquitto, broker, capture (file source, real-time
/// playback, looped) and one or two recognizers, lin-manuel-miranda enrolled from his photo.
/// A bench MQTT client plays the keypad: touch, wait for the unlock on `/set`, release, again.
/// Latency = when the unlock reached the subscriber − the capture time of the frame that
/// matched (from its audit row), both CLOCK_MONOTONIC. Frames/s = recognition results per
/// second while the lock is touched.
enum EndToEndBench {
    static func run(seconds: Double = 20) throws {
        print("end to end: short_hamilton_clip.mp4 at 640 px, HOG upsample 1, capture -> broker -> recognizer(s) -> unlock on MQTT")
        for recognizers in [1, 2] {
            try measure(recognizers: recognizers, seconds: seconds)
        }
        // Both cores on each frame instead of a frame per core (issue 12).
        try measure(recognizers: 1, seconds: seconds, frameThreads: 2, label: "1 rec., frame_threads 2")
        // What each lock policy costs at the door, same clip, same run, one recognizer.
        print("lock policies (1 recognizer; touch->unlock includes waiting for the face to be in view, the same for each):")
        for (name, lines) in policies {
            try measure(recognizers: 1, seconds: seconds, policy: lines, label: name)
        }
    }

    static let policies: [(String, String)] = [
        ("off", #"liveness = "off""#),
        ("confirm_frames = 3", "liveness = \"off\"\nconfirm_frames = 3"),
        ("planar", #"liveness = "planar""#),
        ("blink", #"liveness = "blink""#),
    ]

    static func measure(recognizers count: Int, seconds: Double, policy: String = "", frameThreads: Int = 1,
                        label: String? = nil) throws {
        let clip = FacegateBench.facesDirectory + "/short_hamilton_clip.mp4"
        let site = try BenchSite(camera: """
                                 source = "file://\(clip)?loop=true"
                                 fps = 30
                                 max_width = 640
                                 """, lock: policy,
                                 extra: "[recognizer]\nmodels_dir = \"\(FacegateBench.modelsDirectory)\"\nframe_threads = \(frameThreads)",
                                 maxDecisionAge: 5)
        try site.admin(["faces", "enroll", "lin", FacegateBench.facesDirectory + "/lin-manuel-miranda.png", "--create"])
        try site.admin(["grants", "add", "lin", "DC001"])
        let broker = try site.startBroker()
        for i in 0..<count { try site.start("facegate-recognizer", ["--name", "r\(i)"], name: "recognizer-\(i)") }
        try site.start("facegate-capture", ["--camera", "cam-a"], name: "capture")
        let run = site.socketsDirectory
        let mosquitto = site.mosquitto
        guard waitUntil(timeout: 60, {
            guard let s = try? BrokerBench.status(run) else { return false }
            return s.contains("\"connected\":true") && s.components(separatedBy: "recognizer:r").count > count
        }) else { throw BenchError.failed("pipeline did not come up: \(broker.log)") }

        // The keypad: a client of our own, timestamping each /set on arrival.
        let unlocks = UnlockRecorder()
        let keypad = try MQTTConnection(options: MQTTOptions(host: "127.0.0.1", port: Int(mosquitto.port), clientID: "bench-keypad",
                                                                    username: "facegate", password: "facegate-secret"),
                                        log: Log(component: "bench")) { event in
            if case let .message(m) = event { unlocks.record(m.topic) }
        }
        keypad.subscribe("zigbee2mqtt/DC001/set")
        keypad.start()
        defer { keypad.stop() }
        guard waitUntil(timeout: 10, { keypad.isConnected }) else { throw BenchError.failed("bench MQTT client did not connect") }
        Thread.sleep(forTimeInterval: 0.5)

        let store = try GalleryStore(path: site.dir.file("fg.sqlite").path)
        let resultsBefore = try results(run)
        let loop = TouchLoop(keypad: keypad, topic: "zigbee2mqtt/DC001", unlocks: unlocks, store: store).run(seconds: seconds)
        let recognized = try results(run) - resultsBefore
        let head = label.map { "  " + $0.padding(toLength: 20, withPad: " ", startingAt: 0) }
            ?? String(format: "  %d recognizer%@:", count, count == 1 ? " " : "s")
        print(String(format: "%@ capture->unlock p50 %6.1f ms  p99 %6.1f ms  (n=%d, missed %d); touch->unlock mean %6.1f ms; %5.1f frames/s recognized",
                     head, loop.percentile(0.5), loop.percentile(0.99), loop.latencies.count, loop.missed,
                     loop.touchMeanMs, Double(recognized) / loop.elapsed))
    }

    static func results(_ run: String) throws -> Int {
        let json = try BrokerBench.status(run)
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let counters = object["counters"] as? [String: Any], let n = counters["results"] as? Int else { return 0 }
        return n
    }
}

final class UnlockRecorder: Sendable {
    private let arrivals = Locked<[UInt64]>([])
    func record(_ topic: String) { arrivals.withLock { $0.append(MonotonicClock.nowNanoseconds()) } }
    var count: Int { arrivals.withLock { $0.count } }
    var last: UInt64? { arrivals.withLock { $0.last } }
}
