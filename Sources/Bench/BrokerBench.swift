import BrokerCore
import Foundation
import ProcessSupport
import Synchronization
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport

/// The broker's figures: the decision core in-process (occupancy events, snapshot lookups,
/// decisions per second), then the real facegate-broker process ingesting and forwarding
/// 640x480 frames (no recognition: a test peer answers every detect at once).
enum BrokerBench {
    static func run() throws {
        try core()
        print()
        try process()
    }

    // MARK: Core

    static func core() throws {
        let locks = (0..<8).map { LockID("L\($0)") }
        let cameras = (0..<4).map { c in
            EngineConfiguration.Camera(id: CameraID("cam\(c)"), locks: [locks[2 * c], locks[2 * c + 1]])
        }
        let config = EngineConfiguration(locks: locks.map { .init(id: $0, occupancyMax: .seconds(15)) }, cameras: cameras,
                                         maxDecisionAge: .seconds(5))
        var rng = SystemRandomNumberGenerator()
        func randomDescriptor() -> [Float] { (0..<128).map { _ in Float.random(in: -0.25...0.25, using: &rng) } }
        let members = (0..<200).map { m in
            Gallery.Member(id: MemberID(Int64(m + 1)), name: "m\(m)",
                           descriptors: [try! FaceDescriptor(randomDescriptor()), try! FaceDescriptor(randomDescriptor())],
                           grants: Set(locks.shuffled().prefix(3)))
        }
        let gallery = Gallery(members: members)
        let ms: UInt64 = 1_000_000
        print("broker core (in-process, one thread): 8 locks, 4 cameras, gallery of 200 members x 2 descriptors")

        // Occupancy: every lock flips every 100 ms of simulated time.
        var engine = try DecisionEngine(configuration: config, bootPrefix: BootPrefix(1))
        let events = 1_000_000
        var t = MonotonicInstant(nanoseconds: 1_000 * ms)
        let occupancyRate = rate(events) {
            for i in 0..<events {
                t = t + .milliseconds(1)
                engine.occupancy(lock: locks[i % 8], occupied: (i / 8) % 2 == 0, at: t)
            }
        }
        print(String(format: "  occupancy events        %12.0f /s", occupancyRate))

        // Snapshot lookups at random instants within the retained history.
        let lookups = 1_000_000
        var hits = 0
        let end = t
        let snapshotRate = rate(lookups) {
            for i in 0..<lookups {
                let at = MonotonicInstant(nanoseconds: end.nanoseconds - UInt64.random(in: 0...(5_000 * ms), using: &rng))
                if let s = engine.snapshot(camera: cameras[i % 4].id, at: at), !s.isEmpty { hits += 1 }
            }
        }
        print(String(format: "  snapshot lookups        %12.0f /s   (%d%% found a session open)", snapshotRate, hits * 100 / lookups))

        // Decisions: admit a frame (snapshot + txn) and decide one face against the gallery.
        var engine2 = try DecisionEngine(configuration: config, bootPrefix: BootPrefix(2))
        var now = MonotonicInstant(nanoseconds: 1_000 * ms)
        for lock in locks { engine2.occupancy(lock: lock, occupied: true, at: now) }
        let decisionsToRun = 100_000
        var unlocks = 0
        let probes = members.prefix(50).map { m -> FaceDescriptor in
            try! FaceDescriptor(m.descriptors[0].values.map { $0 + Float.random(in: -0.01...0.01, using: &rng) })
        }
        let decisionRate = rate(decisionsToRun) {
            for i in 0..<decisionsToRun {
                now = now + TimeSpan(nanoseconds: 10_000)
                let camera = cameras[i % 4].id
                guard let txn = engine2.frameCaptured(camera: camera, captureTime: now - TimeSpan(nanoseconds: 5_000),
                                                      imageSize: ImageSize(width: 640, height: 480), now: now).txn else { continue }
                let face = DetectedFace(box: FaceBox(left: 100, top: 100, right: 200, bottom: 200), descriptor: probes[i % probes.count])
                let decisions = engine2.resultArrived(txn: txn, faces: [face], now: now, gallery: gallery)
                unlocks += decisions.filter(\.isUnlock).count
                // Refresh the sessions now and then so they stay open.
                if i % 1000 == 0 { for lock in locks { engine2.occupancy(lock: lock, occupied: true, at: now) } }
            }
        }
        print(String(format: "  decisions (admit+match) %12.0f /s   (400 descriptors compared per face)", decisionRate))
        _ = unlocks
    }

    static func rate(_ count: Int, _ body: () -> Void) -> Double {
        let start = MonotonicClock.nowNanoseconds()
        body()
        return Double(count) / (Double(MonotonicClock.nowNanoseconds() - start) / 1e9)
    }

    // MARK: Process

    /// Frames/s through the real broker: a capture peer sends 640x480 RGB frames as fast as
    /// the broker takes them; a recognizer peer with credit answers each detect at once.
    static func process(frames: Int = 3000) throws {
        let site = try BenchSite(camera: #"source = "test:""#, maxDecisionAge: 30)
        try site.startBroker()
        let run = site.socketsDirectory
        let mosquitto = site.mosquitto
        let pixels = PixelData((0..<(640 * 480 * 3)).map { UInt8(truncatingIfNeeded: $0) })
        func frame(_ seq: Int) -> VideoFrame {
            VideoFrame(camera: "cam-a", sequence: UInt64(seq), captureMonotonicNs: MonotonicClock.nowNanoseconds(),
                       captureWallNs: WallClock.nowNanoseconds(), format: .rgb24, width: 640, height: 480, stride: 1920,
                       pixels: pixels)
        }
        let capture = try MessageConnection.connect(path: run + "/capture.sock",
                                                    hello: Hello(role: .capture, name: "bench", pid: 1, camera: "cam-a"),
                                                    expecting: [.broker], maxBodyLength: 1 << 20)
        let recognizer = try MessageConnection.connect(path: run + "/recognizer.sock",
                                                       hello: Hello(role: .recognizer, name: "bench", pid: 1),
                                                       expecting: [.broker], maxBodyLength: 4 << 20)
        try recognizer.send(.credit(Credit(count: 64)))
        let forwarded = Counter64()
        Thread.detachNewThread {
            while case let .detect(d)? = try? recognizer.receive() {
                forwarded.increment()
                let result = RecognitionResult(txn: d.txn, camera: d.frame.camera, sequence: d.frame.sequence,
                                               captureMonotonicNs: d.frame.captureMonotonicNs, detectMicros: 0,
                                               descriptorMicros: 0, faces: [])
                guard (try? recognizer.send(.result(result))) != nil, (try? recognizer.send(.credit(Credit(count: 1)))) != nil else { return }
            }
        }

        // Warm-up (connections, allocator, page cache), then nothing triggered: every frame is
        // ingested and skipped.
        for i in 0..<500 { try capture.send(.frame(frame(i))) }
        try syncWithBroker(run)
        var start = MonotonicClock.nowNanoseconds()
        for i in 0..<frames { try capture.send(.frame(frame(i))) }
        try syncWithBroker(run)
        let idleRate = Double(frames) / (Double(MonotonicClock.nowNanoseconds() - start) / 1e9)

        // DC001 touched: every frame is admitted and offered to the recognizer.
        try mosquitto.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#)
        guard waitUntil(timeout: 10, { (try? status(run))?.contains("lock DC001") ?? false }) else {
            throw BenchError.failed("the touch did not reach the broker")
        }
        start = MonotonicClock.nowNanoseconds()
        for i in 0..<frames { try capture.send(.frame(frame(frames + i))) }
        try syncWithBroker(run)
        let seconds = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        let sent = forwarded.value
        print("broker process: 640x480 rgb24 frames from a capture peer, detects answered at once by a recognizer peer")
        print(String(format: "  ingest, nothing triggered   %8.0f frames/s  %6.0f MB/s", idleRate, idleRate * 0.9216))
        print(String(format: "  ingest, lock touched        %8.0f frames/s  %6.0f MB/s", Double(frames) / seconds, Double(frames) / seconds * 0.9216))
        print(String(format: "  forwarded to recognizer     %8.0f frames/s  (%d of %d; a frame waiting when a newer one came was replaced)",
                     Double(sent) / seconds, sent, frames))
        capture.close(); recognizer.close()
    }

    /// A status round trip on the control socket: once it answers, the broker has read
    /// everything sent before (the capture connection is drained by then too, give or take
    /// the frames in the socket buffer).
    static func syncWithBroker(_ run: String) throws { _ = try status(run) }

    static func status(_ run: String) throws -> String {
        let admin = try MessageConnection.connect(path: run + "/broker.ctl", hello: Hello(role: .admin, name: "bench", pid: 1),
                                                  expecting: [.broker])
        defer { admin.close() }
        try admin.send(.statusRequest)
        guard case let .statusReply(reply) = try admin.receive() else { throw BenchError.failed("no status") }
        return reply.json
    }
}

final class Counter64: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

enum BenchError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { if case let .failed(s) = self { return s }; return "" }
}
