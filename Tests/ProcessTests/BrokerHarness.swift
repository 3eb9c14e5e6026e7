import BrokerCore
import Foundation
import GalleryStore
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// The real facegate-broker process with everything around it real too: mosquitto on
/// 127.0.0.1, the lock simulator, a SQLite file. Camera and recognizer are test peers on the
/// broker's own sockets: the camera sends small frames whose first byte names a reference
/// photo, and the recognizer answers with that photo's descriptors from reference.json (what
/// dlib's Python binding computed), so these tests exercise the broker, not dlib.
///
/// Scenario time is compressed: one scenario second is `scale` real seconds, applied to the
/// configuration (occupancy_max, max_decision_age, lock hold time) and the script alike.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
final class BrokerHarness: @unchecked Sendable {
    static let photos = ["obama2.jpg", "biden2.jpg", "lin-manuel-miranda.png", "two_people.jpg", "obama.jpg", "obama3.jpg"]
    static let reference = try! ReferenceFaces.load()

    let scale: Double
    let dir = TemporaryDirectory(prefix: "fgb")
    let mosquitto: MosquittoServer
    let locks: LockSimProcess
    let store: GalleryStore
    let configURL: URL
    private(set) var broker: ChildProcess!
    private var brokerGeneration = 0

    struct Options {
        var scale = 0.25
        var payloads: [String: String] = [:]
        var occupancyMax = 15.0
        var maxDecisionAge = 10.0
        var zones = ""
        var motion = false
        /// cam-a's motion from ONVIF (facegate-onvif on motion.sock) instead of `motion`'s topic.
        var onvif = false
        /// More `[runtime]` lines (socket limits).
        var runtime = ""
        /// `[home_assistant]` on (node id `HomeAssistantHarness.node`), on a closed bus: logins for facegate,
        /// zigbee2mqtt (the lock simulator) and homeassistant (the tests' own client), and the
        /// ACL `facegate mqtt acl` prints for them.
        var homeAssistant = false
        /// A `[metrics]` table's lines, if any.
        var metrics: String?
    }

    static let homeAssistantNode = "test_site"

    init(_ options: Options = Options()) throws {
        scale = options.scale
        // One login for everyone (no ACL): these tests publish touches as facegate's user. With
        // Home Assistant, the configuration names mosquitto's port, and mosquitto's ACL comes
        // from the configuration: the server starts once that is written.
        let openBus = options.homeAssistant ? nil : try MosquittoServer(users: ["facegate": "facegate-secret"])
        let port = openBus?.port ?? freeLoopbackPort()
        configURL = dir.file("facegate.toml")
        func lock(_ id: String) -> String {
            let payload = options.payloads[id].map { "unlock_payload = '\($0)'\n" } ?? ""
            return "[[locks]]\nid = \"\(id)\"\n\(payload)occupancy_max = \(options.occupancyMax * options.scale)\n"
        }
        let motion = options.motion
            ? "motion_topic = \"cameras/cam-a/motion\"\nmotion_locks = [\"DC001\"]\nmotion_max = \(30 * options.scale)\n"
            : options.onvif
            ? "onvif = { url = \"http://127.0.0.1:9/onvif/device_service\", username = \"u\", password_file = \"none\" }\nmotion_locks = [\"DC001\"]\n"
            : ""
        let config = """
        [runtime]
        sockets_dir = "\(dir.file("run").path)"
        database = "\(dir.file("facegate.sqlite").path)"
        \(options.runtime)

        [mqtt]
        host = "127.0.0.1"
        port = \(port)
        client_id = "facegate-broker-test"
        username = "facegate"
        password = "facegate-secret"
        reconnect_delay_min = 0.1
        reconnect_delay_max = 0.5

        \(lock("DC001"))
        \(lock("DC006"))
        [[cameras]]
        id = "cam-a"
        source = "test:"
        locks = ["DC001", "DC006"]
        \(motion)\(options.zones)

        [decision]
        match_threshold = 0.5
        match_margin = 0.05
        max_decision_age = \(options.maxDecisionAge * options.scale)
        """ + (options.homeAssistant ? "\n[home_assistant]\nenabled = true\nnode_id = \"\(Self.homeAssistantNode)\"\n" : "")
            + (options.metrics.map { "\n[metrics]\n\($0)\n" } ?? "")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        if let openBus {
            mosquitto = openBus
        } else {
            let aclTool = try ChildProcess(Paths.executable("facegate"),
                                           ["mqtt", "acl", "--config", configURL.path, "--home-assistant-user", "homeassistant"],
                                           logDirectory: dir.url, name: "facegate-mqtt-acl")
            XCTAssertEqual(aclTool.waitForExit(timeout: 60), 0, aclTool.log)
            // The tests' client (mosquitto_sub, mosquitto_pub) is Home Assistant; it also needs
            // the readiness probe topic of MosquittoSubscriber, which nothing else uses.
            let acl = aclTool.log + "topic readwrite facegate-test-probe/#\n"
            mosquitto = try MosquittoServer(users: ["facegate": "facegate-secret", "zigbee2mqtt": "z2m-secret",
                                                    "homeassistant": "ha-secret"], acl: acl, port: port)
            mosquitto.defaultUser = "homeassistant"
        }
        store = try GalleryStore(path: dir.file("facegate.sqlite").path)
        locks = try LockSimProcess(server: mosquitto, locks: ["DC001", "DC006"], occupancySeconds: 10,
                                   timeScale: options.scale, directory: dir.url,
                                   username: options.homeAssistant ? "zigbee2mqtt" : nil)
        try enroll("obama", photo: "obama.jpg", grants: ["DC001", "DC006"])
        try enroll("biden", photo: "biden.jpg", grants: ["DC001"])
    }

    private var enrolled = 0

    /// `nudge`: added to the first descriptor component. A camera never sees the enrollment
    /// image's exact pixels; a test that shows the enrollment photo itself nudges the stored
    /// descriptor so the result is not rejected as a replay (distance 0).
    func enroll(_ name: String, photo: String, grants: [String], nudge: Float = 0) throws {
        if (try? store.member(named: name)) == nil { _ = try store.addMember(name: name) }
        let face = try XCTUnwrap(Self.reference.photo(photo)?.faces.first)
        enrolled += 1
        var descriptor = face.descriptor_5pt
        descriptor[0] += nudge
        try store.addFace(member: name, descriptor: try FaceDescriptor(descriptor),
                          sourceSHA256: String(format: "%064x", enrolled), model: "reference.json", detector: "hog-1")
        for lock in grants { _ = try store.addGrant(member: name, lock: lock) }
    }

    func startBroker(environment: [String: String] = [:]) throws {
        brokerGeneration += 1
        broker = try ChildProcess(Paths.executable("facegate-broker"), ["--config", configURL.path],
                                  environment: ["FACEGATE_LOG_LEVEL": "debug"].merging(environment) { $1 }, logDirectory: dir.url,
                                  name: "broker-\(brokerGeneration)")
        XCTAssertTrue(broker.waitForLog("msg=\"mqtt subscriptions active\""), broker.log)
        XCTAssertTrue(broker.waitForLog("msg=\"broker ready\""), broker.log)
    }

    var socketsDirectory: String { dir.file("run").path }

    /// Sleeps until scenario time `t` (seconds since `start`).
    func at(_ t: Double, since start: UInt64) {
        let target = Double(start) / 1e9 + t * scale
        let now = Double(MonotonicClock.nowNanoseconds()) / 1e9
        if target > now { Thread.sleep(forTimeInterval: target - now) }
    }

    /// Touches a lock's keypad and waits until the broker has the session open.
    func touch(_ lock: String) throws {
        let before = broker.log.components(separatedBy: "msg=\"occupancy true\"").count
        try locks.send("touch \(lock)")
        XCTAssertTrue(waitUntil(timeout: 10) { broker.log.components(separatedBy: "msg=\"occupancy true\"").count > before },
                      "broker never saw the touch of \(lock)")
    }

    func auditRows() throws -> [AuditEntry] { try store.auditTail(limit: 1000).map(\.entry) }

    /// Waits until at least `count` audit rows exist.
    @discardableResult
    func waitForAudit(_ count: Int, timeout: Double = 20) -> [AuditEntry] {
        var rows: [AuditEntry] = []
        waitUntil(timeout: timeout) { rows = (try? auditRows()) ?? []; return rows.count >= count }
        return rows
    }

    func unlocks(_ lock: String) -> [String] { locks.commands(lock: lock).compactMap(\.payload) }
    func allUnlocks() -> [String] { locks.commands().map { "\($0.lock ?? "?") \($0.payload ?? "")" } }

    func dump() -> String {
        "--- broker log ---\n\(broker?.log ?? "")\n--- locksim log ---\n\(locks.child.log)"
    }

    deinit {
        broker?.terminate(grace: 5)
        locks.stop()
        mosquitto.stop()
    }
}

/// A camera on the broker's capture socket.
/// Reason for @unchecked: its mutable state is guarded by its NSCondition (test threads wait on it).
final class TestCamera: @unchecked Sendable {
    let connection: MessageConnection
    private var sequence: UInt64 = 0
    let camera: String

    init(socketsDirectory: String, camera: String = "cam-a") throws {
        self.camera = camera
        connection = try MessageConnection.connect(path: socketsDirectory + "/capture.sock",
                                                   hello: Hello(role: .capture, name: "test-camera", pid: UInt32(getpid()), camera: camera),
                                                   expecting: [.broker])
    }

    /// Sends a frame showing `photo` (an index into `BrokerHarness.photos`, 255 for no face),
    /// captured now or at `capturedAt`.
    /// `width` x `height` gray pixels; the default is small, a large frame does not fit in a
    /// socket buffer.
    func show(_ photo: String?, capturedAt: UInt64? = nil, width: UInt32 = 64, height: UInt32 = 48) throws {
        sequence += 1
        var pixels = [UInt8](repeating: 0, count: Int(width * height))
        pixels[0] = photo.flatMap { BrokerHarness.photos.firstIndex(of: $0) }.map(UInt8.init) ?? 255
        let now = capturedAt ?? MonotonicClock.nowNanoseconds()
        try connection.send(.frame(VideoFrame(camera: camera, sequence: sequence, captureMonotonicNs: now,
                                              captureWallNs: WallClock.nowNanoseconds(), format: .gray8, width: width,
                                              height: height, stride: width, pixels: PixelData(pixels))))
    }

    func close() { connection.close() }
}

/// A recognizer on the broker's recognizer socket that answers from reference.json.
/// Reason for @unchecked: its mutable state is guarded by its NSCondition (test threads wait on it).
final class TestRecognizer: @unchecked Sendable {
    let connection: MessageConnection
    private let condition = NSCondition()
    private var stalled = false
    private(set) var detects: [Detect] = []
    private var done = false
    /// When set, every face is reported with this box (a recognizer that lies about where).
    var boxOverride: FaceBox? {
        get { condition.lock(); defer { condition.unlock() }; return override }
        set { condition.lock(); override = newValue; condition.unlock() }
    }
    private var override: FaceBox?

    init(socketsDirectory: String, name: String = "test-recognizer") throws {
        connection = try MessageConnection.connect(path: socketsDirectory + "/recognizer.sock",
                                                   hello: Hello(role: .recognizer, name: name, pid: UInt32(getpid())),
                                                   expecting: [.broker])
        try connection.send(.credit(Credit(count: 1)))
        Thread.detachNewThread { [self] in loop() }
    }

    /// Holds every answer until `resume()` — the test's SIGSTOP.
    func stall() { condition.lock(); stalled = true; condition.unlock() }
    func resume() { condition.lock(); stalled = false; condition.broadcast(); condition.unlock() }

    var detectCount: Int { condition.lock(); defer { condition.unlock() }; return detects.count }
    var received: [Detect] { condition.lock(); defer { condition.unlock() }; return detects }

    private func loop() {
        while let message = try? connection.receive() {
            guard case let .detect(detect) = message else { continue }
            condition.lock()
            detects.append(detect)
            while stalled { condition.wait() }
            let forcedBox = override
            condition.unlock()
            let index = Int(detect.frame.pixels[0])
            var faces: [DetectedFace] = []
            if index < BrokerHarness.photos.count, let photo = BrokerHarness.reference.photo(BrokerHarness.photos[index]) {
                // Scale the reference boxes into the 64x48 test frame so zones can be checked.
                let sx = 64.0 / Double(photo.width), sy = 48.0 / Double(photo.height)
                faces = photo.faces.map { f in
                    DetectedFace(box: FaceBox(left: Int(Double(f.left) * sx), top: Int(Double(f.top) * sy),
                                              right: Int(Double(f.right) * sx), bottom: Int(Double(f.bottom) * sy)),
                                 quality: 1, descriptor: try! FaceDescriptor(f.descriptor_5pt))
                }
                if let forcedBox { faces = faces.map { DetectedFace(box: forcedBox, quality: $0.quality, descriptor: $0.descriptor) } }
            }
            let result = RecognitionResult(txn: detect.txn, camera: detect.frame.camera, sequence: detect.frame.sequence,
                                           captureMonotonicNs: detect.frame.captureMonotonicNs, detectMicros: 1,
                                           descriptorMicros: 1, faces: faces)
            guard (try? connection.send(.result(result))) != nil,
                  (try? connection.send(.credit(Credit(count: 1)))) != nil else { return }
        }
    }

    func close() { resume(); connection.close() }
}
