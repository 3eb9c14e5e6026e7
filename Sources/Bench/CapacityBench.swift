import Foundation
import GalleryStore
import MQTTClient
import ProcessSupport
import TestSupport

/// How many cameras this host carries (issue 12): N capture processes, each pulling the clip
/// at 720p and 10 fps from a real RTSP server on 127.0.0.1, one broker, one recognizer. Door
/// cam-0 is the active one (its lock is touched, the face shown, released, again); the other
/// N-1 stream the same moving clip with nobody touching their locks (idle doors: the broker
/// receives and skips their frames). N rises until cam-0's capture->unlock p99 exceeds 300 ms
/// or its frames stop reaching the broker for more than a second while touched, or `maxCameras`.
///
/// Frames: the 10 s 640×360 clip is transcoded once, at the start, into 60 s of 1280×720 at
/// 10 fps (gst-launch, x264 ultrafast), so the server only payloads it (no encoder per client
/// competing for the cores being measured) and no step outlives it: every capture gets the
/// file from its start (the server's media is not shared). CPU per idle camera: its capture
/// process's user+system time over the measured span (/proc), as a share of one core.
enum CapacityBench {
    static let p99Limit = 300.0
    static let gapLimit = 1.0

    /// `keepGoing`: measure every count even past the limits (a loaded host still shows the trend).
    static func run(cameraCounts: [Int] = [1, 2, 3, 4, 6, 8], seconds: Double = 15, keepGoing: Bool = false) throws {
        let work = TemporaryDirectory(prefix: "fgcap")
        let clip = work.file("clip-720p10.mp4")
        try transcode(to: clip)
        let server = try RtspTestServer(file: clip, logDirectory: work.url)
        print("capacity: N cameras from an RTSP server on 127.0.0.1 (the clip at 1280x720, 10 fps each), 1 recognizer")
        print("  (frame_threads 2), cam-0 touched again and again with the face in view, the others idle; \(Int(seconds)) s per N;")
        print("  stops at capture->unlock p99 > \(Int(p99Limit)) ms or cam-0's frames missing > \(gapLimit) s while touched")
        var carried = 0, failed = false
        for n in cameraCounts {
            let step = try measure(cameras: n, rtsp: server.url, seconds: seconds)
            let idle = step.idleCPU.isEmpty ? "     -" : String(format: "%5.1f%%", step.idleCPU.reduce(0, +) / Double(step.idleCPU.count))
            print(String(format: "  N=%d  capture->unlock p50 %6.1f ms  p99 %6.1f ms  (n=%d, missed %d)  touch->unlock mean %6.1f ms"
                         + "  longest frame gap %4.2f s (status poll <= %4.2f s)  CPU/idle camera %@  broker %5.1f%%  recognizer %5.1f%%",
                         n, step.p50, step.p99, step.samples, step.missed, step.touchMean, step.longestGap, step.slowestPoll, idle,
                         step.brokerCPU, step.recognizerCPU))
            let held = step.samples > 0 && step.p99 <= p99Limit && step.longestGap <= gapLimit
            // Carried: the largest N below which every N tried held too.
            if held && !failed { carried = n }
            failed = failed || !held
            if failed && !keepGoing { break }
        }
        print("  carried: \(carried) camera(s) with the p99 and the frames held (counts tried: \(cameraCounts.map(String.init).joined(separator: ",")))")
    }

    struct Step {
        var p50 = Double.nan, p99 = Double.nan, touchMean = Double.nan
        var samples = 0, missed = 0
        var longestGap = 0.0, slowestPoll = 0.0
        var idleCPU: [Double] = []
        var brokerCPU = 0.0, recognizerCPU = 0.0
    }

    static func transcode(to file: URL) throws {
        let source = FacegateBench.facesDirectory + "/short_hamilton_clip.mp4"
        var arguments = ["-q", "concat", "name=c", "!", "videoscale", "!", "video/x-raw,width=1280,height=720", "!",
                         "videorate", "!", "video/x-raw,framerate=10/1", "!",
                         "x264enc", "speed-preset=ultrafast", "tune=zerolatency", "key-int-max=10", "!", "h264parse", "!",
                         "mp4mux", "!", "filesink", "location=\(file.path)"]
        for _ in 0..<6 {
            arguments += ["filesrc", "location=\(source)", "!", "qtdemux", "!", "h264parse", "!", "avdec_h264", "!", "c."]
        }
        let gst = try ChildProcess(URL(fileURLWithPath: "/usr/bin/gst-launch-1.0"), arguments,
                                   logDirectory: file.deletingLastPathComponent(), name: "transcode")
        guard gst.waitForExit(timeout: 300) == 0 else { throw BenchError.failed("transcoding the clip to 720p: \(gst.log)") }
    }

    static func measure(cameras n: Int, rtsp: String, seconds: Double) throws -> Step {
        var doors = ""
        for i in 0..<n {
            doors += """
            [[locks]]
            id = "L\(i)"
            occupancy_max = 600
            min_unlock_interval = 0
            trigger_burst = 0
            [[cameras]]
            id = "cam-\(i)"
            locks = ["L\(i)"]
            source = "\(rtsp)"
            fps = 10
            max_width = 1280
            min_face_px = 80
            change_skip = 6

            """
        }
        let site = try BenchSite(doors: doors, extra: """
                                 [recognizer]
                                 models_dir = "\(FacegateBench.modelsDirectory)"
                                 frame_threads = 2
                                 """, maxDecisionAge: 5)
        try site.admin(["faces", "enroll", "lin", FacegateBench.facesDirectory + "/lin-manuel-miranda.png", "--create"])
        try site.admin(["grants", "add", "lin", "L0"])
        let broker = try site.startBroker()
        let recognizer = try site.start("facegate-recognizer", ["--name", "r0"], name: "recognizer")
        var captures: [ChildProcess] = []
        for i in 0..<n { captures.append(try site.start("facegate-capture", ["--camera", "cam-\(i)"], name: "capture-\(i)")) }
        let run = site.socketsDirectory
        guard waitUntil(timeout: 60, {
            guard let s = try? BrokerBench.status(run) else { return false }
            return s.components(separatedBy: "\"connected\":true").count > n && s.contains("recognizer:r0")
                && (framesReceived(s)["cam-\(n - 1)"] ?? 0) > 0
        }) else { throw BenchError.failed("\(n) cameras did not come up: \(broker.log)") }

        let unlocks = UnlockRecorder()
        let keypad = try MQTTConnection(options: MQTTOptions(host: "127.0.0.1", port: Int(site.mosquitto.port), clientID: "bench-keypad",
                                                             username: "facegate", password: "facegate-secret"),
                                        log: Log(component: "bench")) { event in
            if case let .message(m) = event { unlocks.record(m.topic) }
        }
        keypad.subscribe("zigbee2mqtt/L0/set")
        keypad.start()
        defer { keypad.stop() }
        guard waitUntil(timeout: 10, { keypad.isConnected }) else { throw BenchError.failed("bench MQTT client did not connect") }
        Thread.sleep(forTimeInterval: 1)

        // cam-0's frames as the broker counts them, every 50 ms, while its lock is touched.
        let gaps = GapWatch()
        let watching = Thread { gaps.watch(run: run, camera: "cam-0") }
        watching.start()
        defer { gaps.stop() }

        let store = try GalleryStore(path: site.dir.file("fg.sqlite").path)
        let cpuBefore = ([broker, recognizer] + captures).map { cpuSeconds($0.pid) }
        var step = Step()
        let loop = TouchLoop(keypad: keypad, topic: "zigbee2mqtt/L0", unlocks: unlocks, store: store,
                             touched: { gaps.touched($0) }).run(seconds: seconds)
        step.missed = loop.missed
        let elapsed = loop.elapsed
        let cpuAfter = ([broker, recognizer] + captures).map { cpuSeconds($0.pid) }
        let cpu = zip(cpuAfter, cpuBefore).map { 100 * ($0 - $1) / elapsed }
        step.brokerCPU = cpu[0]
        step.recognizerCPU = cpu[1]
        step.idleCPU = Array(cpu.dropFirst(3))
        step.longestGap = gaps.longest
        step.slowestPoll = gaps.slowestPoll
        step.p50 = loop.percentile(0.5)
        step.p99 = loop.percentile(0.99)
        step.samples = loop.latencies.count
        step.touchMean = loop.touchMeanMs
        return step
    }

    /// frames_received per camera id in a status JSON.
    static func framesReceived(_ json: String) -> [String: Int] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let cameras = object["cameras"] as? [[String: Any]] else { return [:] }
        var result: [String: Int] = [:]
        for camera in cameras {
            if let id = camera["id"] as? String, let n = camera["frames_received"] as? Int { result[id] = n }
        }
        return result
    }

    /// User + system CPU seconds of a process so far (0 when it is gone).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// The longest time cam-0's frames stopped arriving at the broker while its lock was touched.
final class GapWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var isTouched = false
    private var stopped = false
    private var lastArrival: UInt64?
    private var longestNs: UInt64 = 0
    private var slowestPollNs: UInt64 = 0

    func touched(_ on: Bool) {
        lock.lock(); defer { lock.unlock() }
        isTouched = on
        lastArrival = on ? MonotonicClock.nowNanoseconds() : nil
    }

    func stop() { lock.lock(); stopped = true; lock.unlock() }

    var longest: Double { lock.lock(); defer { lock.unlock() }; return Double(longestNs) / 1e9 }
    /// The longest status round trip: a gap shorter than this cannot be told from polling.
    var slowestPoll: Double { lock.lock(); defer { lock.unlock() }; return Double(slowestPollNs) / 1e9 }

    func watch(run: String, camera: String) {
        var last = -1
        while true {
            lock.lock(); let done = stopped; lock.unlock()
            if done { return }
            let asked = MonotonicClock.nowNanoseconds()
            let received = (try? BrokerBench.status(run)).map { CapacityBench.framesReceived($0)[camera] ?? 0 } ?? last
            let now = MonotonicClock.nowNanoseconds()
            lock.lock()
            slowestPollNs = max(slowestPollNs, now &- asked)
            if isTouched, let since = lastArrival {
                if received != last { lastArrival = now } else { longestNs = max(longestNs, now &- since) }
            }
            lock.unlock()
            last = received
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
