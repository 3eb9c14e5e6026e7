import FaceEngine
import Foundation
import ProcessSupport
import TestSupport
import Vocabulary
import WireProtocol
import WireTransport
import XCTest

/// The real facegate-recognizer executable against a broker played by the test on a real
/// Unix socket: frames of the clip (decoded by GStreamer) go in as detects, results must come
/// back with the right txn, camera, sequence and capture time, and real faces.
final class RecognizerProcessTests: XCTestCase {
    private let cameraID = "cam-a"

    func testClipFramesGetResultsGarbageGetsAnErrorAndTheNextFrameIsProcessed() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let frames = try ClipFrames.decode(into: dir.file("clip"))
        XCTAssertGreaterThanOrEqual(frames.count, 8, "clip decoded at 1 frame/s")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let notify = NotifySocket(path: dir.file("notify.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: ["NOTIFY_SOCKET": notify.path])
        defer { recognizer.terminate() }

        let connection = try broker.accept()
        XCTAssertEqual(connection.peerHello?.role, .recognizer)
        XCTAssertEqual(connection.peerHello?.name, "t1")
        XCTAssertEqual(connection.peerHello?.pid, UInt32(recognizer.pid))
        XCTAssertEqual(try broker.nextCredit(connection), 1, "one worker: credit for one detect")
        XCTAssertTrue(waitUntil(timeout: 10) { notify.messages.contains { $0.contains("READY=1") } }, "sd_notify READY")

        let lin = try XCTUnwrap(ReferenceFaces.load().photo("lin-manuel-miranda.png")?.faces.first)
        var txn: UInt64 = 0x0000_0042_0000_0001
        var framesWithFaces = 0
        var closestToLin = Double.infinity
        for (index, image) in frames.enumerated() {
            let detect = makeDetect(txn: txn, sequence: UInt64(index), image: image)
            try connection.send(.detect(detect))
            let result = try broker.nextResult(connection)
            XCTAssertEqual(result.txn, txn)
            XCTAssertEqual(result.camera, cameraID)
            XCTAssertEqual(result.sequence, UInt64(index))
            XCTAssertEqual(result.captureMonotonicNs, detect.frame.captureMonotonicNs)
            XCTAssertGreaterThan(result.detectMicros, 0)
            if !result.faces.isEmpty { framesWithFaces += 1 }
            for face in result.faces {
                XCTAssertEqual(face.descriptor.values.count, 128)
                XCTAssertTrue(face.box.left >= 0 && face.box.right < image.width, "box inside the frame")
                XCTAssertTrue((0...1).contains(face.quality))
                closestToLin = min(closestToLin, referenceDistance(face.descriptor.values, lin.descriptor_5pt))
            }
            XCTAssertEqual(try broker.nextCredit(connection), 1, "credit again after each answer")
            txn += 1
        }
        XCTAssertGreaterThanOrEqual(framesWithFaces, frames.count / 2, "faces found in most clip frames")
        XCTAssertLessThan(closestToLin, 0.6, "Lin-Manuel Miranda recognised in the clip")

        // A detect whose pixels are cut short: an error for that txn, and the process carries on.
        let garbageTxn = txn
        try connection.sendRaw(truncatedDetect(txn: garbageTxn))
        let error = try broker.nextError(connection)
        XCTAssertEqual(error.txn, garbageTxn)
        XCTAssertEqual(error.code, .invalidFrame)
        XCTAssertTrue(error.text.contains("pixel"), error.text)
        XCTAssertEqual(try broker.nextCredit(connection), 1)

        let next = makeDetect(txn: garbageTxn + 1, sequence: 99, image: frames[frames.count / 2])
        try connection.send(.detect(next))
        let after = try broker.nextResult(connection)
        XCTAssertEqual(after.txn, garbageTxn + 1)
        XCTAssertEqual(after.sequence, 99)
        XCTAssertTrue(recognizer.isRunning)
        XCTAssertTrue(recognizer.log.contains("txn=\(String(format: "%016llx", garbageTxn))"), recognizer.log)

        // The broker goes away: the recognizer comes back on its own with a fresh hello and credit.
        connection.close()
        let again = try broker.accept()
        XCTAssertEqual(again.peerHello?.name, "t1")
        XCTAssertEqual(try broker.nextCredit(again), 1)
        try again.send(.detect(makeDetect(txn: garbageTxn + 2, sequence: 100, image: frames[0])))
        XCTAssertEqual(try broker.nextResult(again).txn, garbageTxn + 2)

        XCTAssertEqual(recognizer.terminate(grace: 20), 0, "clean exit on SIGTERM")
        XCTAssertTrue(recognizer.log.contains("facegate-recognizer stopped"), recognizer.log)
        XCTAssertTrue(notify.messages.contains { $0.contains("STOPPING=1") })
    }

    func testTwoWorkersAnnounceTwoCreditsAndAnswerBoth() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: [:], arguments: ["--threads", "2"])
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 2)
        let images = try ["obama-480p.jpg", "biden2.jpg"].map { try Image(contentsOfFile: Paths.face($0).path) }
        try connection.send(.detect(makeDetect(txn: 1, sequence: 1, image: images[0])))
        try connection.send(.detect(makeDetect(txn: 2, sequence: 2, image: images[1])))
        var answered: Set<UInt64> = []
        var credits: UInt32 = 0
        while answered.count < 2 || credits < 2 {
            switch try broker.next(connection) {
            case let .result(result):
                XCTAssertEqual(result.faces.count, 1)
                answered.insert(result.txn)
            case let .credit(credit): credits += credit.count
            case let other: XCTFail("unexpected \(other.kind)")
            }
        }
        XCTAssertEqual(answered, [1, 2])
    }

    func testControlSocketAnswersStatus() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let control = dir.file("r.ctl").path
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: [:], arguments: ["--control", control])
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1)
        try connection.send(.detect(makeDetect(txn: 5, sequence: 5, image: Image(contentsOfFile: Paths.face("obama-240p.jpg").path))))
        XCTAssertEqual(try broker.nextResult(connection).faces.count, 1)

        XCTAssertTrue(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: control) })
        let admin = try MessageConnection.connect(path: control, hello: Hello(role: .admin, name: "test", pid: UInt32(getpid())),
                                                  expecting: [.recognizer])
        defer { admin.close() }
        try admin.send(.statusRequest)
        guard case let .statusReply(reply) = try admin.receive() else { return XCTFail("expected a status reply") }
        let status = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as? [String: Any])
        XCTAssertEqual(status["name"] as? String, "t1")
        XCTAssertEqual(status["broker_connected"] as? Bool, true)
        let counters = try XCTUnwrap(status["counters"] as? [String: Any])
        XCTAssertEqual(counters["results_sent"] as? Int, 1)
        XCTAssertEqual(counters["faces_found"] as? Int, 1)
    }

    /// The 68-point landmarks come back exactly when the detect's snapshot asks for them, equal
    /// to the engine's own in this process, and asking changes nothing else in the result.
    func testLandmarksComeBackOnlyWhenWanted() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: [:])
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1)
        let engine = try EngineFixture.fivePoint.get()
        for (file, txn) in [("obama-480p.jpg", UInt64(0x10)), ("two_people.jpg", UInt64(0x20))] {
            let image = try EngineFixture.photo(file)
            let plainDetect = makeDetect(txn: txn, sequence: txn, image: image)
            var wantedDetect = makeDetect(txn: txn + 1, sequence: txn + 1, image: image)
            wantedDetect.snapshot.landmarksWanted = true
            try connection.send(.detect(plainDetect))
            let plain = try broker.nextResult(connection)
            XCTAssertEqual(try broker.nextCredit(connection), 1)
            try connection.send(.detect(wantedDetect))
            let wanted = try broker.nextResult(connection)
            XCTAssertEqual(try broker.nextCredit(connection), 1)

            let expected = try engine.landmarks68(for: engine.detect(image: image), in: image)
            XCTAssertEqual(plain.faces.count, expected.count, file)
            XCTAssertTrue(plain.faces.allSatisfy { $0.landmarks == nil }, "\(file): no landmarks unless asked")
            XCTAssertEqual(wanted.faces.map(\.landmarks), expected.map(Optional.some), "\(file): the engine's shapes")
            XCTAssertEqual(wanted.faces.map(\.box), plain.faces.map(\.box), file)
            XCTAssertEqual(wanted.faces.map { $0.descriptor.values.map(\.bitPattern) },
                           plain.faces.map { $0.descriptor.values.map(\.bitPattern) }, "\(file): descriptors bit-identical")
        }
        // The per-frame line says what the landmarks cost, on the frames that had them only.
        XCTAssertTrue(waitUntil(timeout: 10) { recognizer.lines(containing: "msg=\"frame answered\"").count == 4 }, recognizer.log)
        for txn in [UInt64(0x10), 0x11, 0x20, 0x21] {
            let line = recognizer.lines(containing: "txn=\(hexTxn(txn))", "msg=\"frame answered\"")
            XCTAssertEqual(line.count, 1, recognizer.log)
            XCTAssertEqual(line.first?.contains("landmarks_us="), txn & 1 == 1, String(line.first ?? ""))
        }
    }

    /// Without the 68-point model the recognizer starts, warns, recognises as before, and
    /// answers a detect that wants landmarks with an error for that txn naming the file.
    func testMissingLandmarkModelAnswersAnErrorForThatTxnOnly() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let models = dir.file("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        for file in ["shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"] {
            try FileManager.default.createSymbolicLink(atPath: models.appendingPathComponent(file).path,
                                                       withDestinationPath: Paths.modelsDirectory.path + "/" + file)
        }
        let missing = models.appendingPathComponent(FaceEngineOptions.landmarks68ModelFile).path
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: [:], models: models.path)
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1)
        XCTAssertTrue(recognizer.log.contains("68-point landmark model missing"), recognizer.log)

        let image = try EngineFixture.photo("obama-240p.jpg")
        var wanted = makeDetect(txn: 1, sequence: 1, image: image)
        wanted.snapshot.landmarksWanted = true
        try connection.send(.detect(wanted))
        let error = try broker.nextError(connection)
        XCTAssertEqual(error.txn, 1)
        XCTAssertEqual(error.code, .internalError)
        XCTAssertTrue(error.text.contains(missing), error.text)
        XCTAssertEqual(try broker.nextCredit(connection), 1)

        try connection.send(.detect(makeDetect(txn: 2, sequence: 2, image: image)))
        let result = try broker.nextResult(connection)
        XCTAssertEqual(result.txn, 2)
        XCTAssertEqual(result.faces.count, 1)
        XCTAssertTrue(recognizer.isRunning)
    }

    /// `--preload-landmarks68` (what a config with a lock judging liveness implies): the model
    /// is loaded before the recognizer offers its first credit, so the first frame asking for
    /// shapes does not wait for it; without the file the recognizer warns naming it and serves.
    func testPreloadLoadsTheSixtyEightPointModelBeforeServing() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let broker = try TestBrokerPeer(path: dir.file("recognizer.sock").path)
        let recognizer = try startRecognizer(socket: broker.path, dir: dir, extra: [:], arguments: ["--preload-landmarks68"])
        defer { recognizer.terminate() }
        let connection = try broker.accept()
        XCTAssertEqual(try broker.nextCredit(connection), 1)
        let loaded = recognizer.lines(containing: "msg=\"68-point landmark model loaded (a lock judges liveness)\"")
        XCTAssertEqual(loaded.count, 1, recognizer.log)
        XCTAssertTrue(loaded.first?.contains("load_ms=") ?? false, recognizer.log)
        let image = try EngineFixture.photo("obama-240p.jpg")
        var wanted = makeDetect(txn: 1, sequence: 1, image: image)
        wanted.snapshot.landmarksWanted = true
        try connection.send(.detect(wanted))
        let result = try broker.nextResult(connection)
        let engine = try EngineFixture.fivePoint.get()
        XCTAssertEqual(result.faces.map(\.landmarks), try engine.landmarks68(for: engine.detect(image: image), in: image).map(Optional.some))

        let bare = TemporaryDirectory(prefix: "fgr")
        let models = bare.file("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        for file in ["shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"] {
            try FileManager.default.createSymbolicLink(atPath: models.appendingPathComponent(file).path,
                                                       withDestinationPath: Paths.modelsDirectory.path + "/" + file)
        }
        let bareBroker = try TestBrokerPeer(path: bare.file("recognizer.sock").path)
        let without = try startRecognizer(socket: bareBroker.path, dir: bare, extra: [:], arguments: ["--preload-landmarks68"],
                                          models: models.path)
        defer { without.terminate() }
        let bareConnection = try bareBroker.accept()
        XCTAssertEqual(try bareBroker.nextCredit(bareConnection), 1)
        let warning = without.lines(containing: "msg=\"cannot load the 68-point landmark model")
        XCTAssertEqual(warning.count, 1, without.log)
        XCTAssertTrue(warning.first?.contains(models.appendingPathComponent(FaceEngineOptions.landmarks68ModelFile).path) ?? false,
                      without.log)
        try bareConnection.send(.detect(makeDetect(txn: 2, sequence: 2, image: image)))
        XCTAssertEqual(try bareBroker.nextResult(bareConnection).faces.count, 1)
    }

    func testMissingModelsExitWithTheFileNamed() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let child = try ChildProcess(Paths.executable("facegate-recognizer"),
                                     ["--socket", dir.file("r.sock").path, "--models", dir.path, "--name", "t2"],
                                     logDirectory: dir.url)
        XCTAssertEqual(child.waitForExit(timeout: 30), 1)
        XCTAssertTrue(child.log.contains("shape_predictor_5_face_landmarks.dat"), child.log)
    }

    func testBadFlagsAreNamed() throws {
        let dir = TemporaryDirectory(prefix: "fgr")
        let child = try ChildProcess(Paths.executable("facegate-recognizer"),
                                     ["--socket", "x", "--models", "y", "--landmarks", "7"], logDirectory: dir.url)
        XCTAssertEqual(child.waitForExit(timeout: 30), 2)
        XCTAssertTrue(child.log.contains("--landmarks 7: expected 5 or 68"), child.log)
    }

    // MARK: Helpers

    private func startRecognizer(socket: String, dir: TemporaryDirectory, extra: [String: String],
                                 arguments: [String] = [], models: String = Paths.modelsDirectory.path) throws -> ChildProcess {
        try ChildProcess(Paths.executable("facegate-recognizer"),
                         ["--socket", socket, "--models", models, "--name", "t1",
                          "--heartbeat-seconds", "0.5"] + arguments,
                         environment: extra.merging(["FACEGATE_LOG_LEVEL": "debug"]) { a, _ in a },
                         logDirectory: dir.url)
    }

    private func makeDetect(txn: UInt64, sequence: UInt64, image: Image) -> Detect {
        let captured = MonotonicClock.nowNanoseconds()
        let frame = VideoFrame(camera: cameraID, sequence: sequence, captureMonotonicNs: captured,
                               captureWallNs: WallClock.nowNanoseconds(), format: .rgb24, width: UInt32(image.width),
                               height: UInt32(image.height), stride: UInt32(image.stride), pixels: PixelData(image.bytes))
        return Detect(txn: txn, snapshot: Snapshot(captureMonotonicNs: captured, motion: false,
                                                   sessions: [SnapshotSession(sessionID: 7, lock: "DC001")]),
                      frame: frame)
    }

    /// A well-framed detect message whose pixel block is 100 bytes shorter than its header says.
    private func truncatedDetect(txn: UInt64) -> [UInt8] {
        let image = Image(format: .gray8, width: 64, height: 64, bytes: [UInt8](repeating: 128, count: 64 * 64))
        var detect = makeDetect(txn: txn, sequence: 98, image: image)
        detect.frame.format = .gray8
        var body = MessageCodec.encodeBody(.detect(detect))
        body.removeLast(100)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + body
    }
}

/// The broker's recognizer socket, played by the test: accepts one recognizer at a time and
/// hands the test the connection after the hello exchange.
final class TestBrokerPeer {
    let path: String
    private let listener: UnixSocket

    init(path: String) throws {
        self.path = path
        listener = try UnixSocket.listen(path: path)
        // accept() gives up after this long instead of hanging the suite if the process died.
        listener.setReceiveTimeout(seconds: 60)
    }

    deinit { listener.close() }

    func accept() throws -> MessageConnection {
        let connection = MessageConnection(socket: try listener.accept(), maxBodyLength: 1 << 20)
        try connection.handshake(local: Hello(role: .broker, name: "test-broker", pid: UInt32(getpid())),
                                 accepting: [.recognizer], asServer: true)
        connection.socket.setReceiveTimeout(seconds: 60)
        return connection
    }

    /// The next message that is not a heartbeat.
    func next(_ connection: MessageConnection) throws -> Message {
        while true {
            let message = try connection.receive()
            if case .heartbeat = message { continue }
            return message
        }
    }

    func nextCredit(_ connection: MessageConnection) throws -> UInt32 {
        let message = try next(connection)
        guard case let .credit(credit) = message else { throw Unexpected(kind: message.kind, wanted: "credit") }
        return credit.count
    }

    func nextResult(_ connection: MessageConnection) throws -> RecognitionResult {
        let message = try next(connection)
        guard case let .result(result) = message else { throw Unexpected(kind: message.kind, wanted: "result") }
        return result
    }

    func nextError(_ connection: MessageConnection) throws -> ErrorMessage {
        let message = try next(connection)
        guard case let .error(error) = message else { throw Unexpected(kind: message.kind, wanted: "error") }
        return error
    }

    struct Unexpected: Error, CustomStringConvertible {
        let kind: MessageKind
        let wanted: String
        var description: String { "got \(kind), wanted \(wanted)" }
    }
}

/// The clip's frames at 1 frame/s, decoded to PNG by the real GStreamer command line.
enum ClipFrames {
    static func decode(into directory: URL) throws -> [Image] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gst-launch-1.0", "-q", "filesrc", "location=\(Paths.face("short_hamilton_clip.mp4").path)",
                             "!", "decodebin", "!", "videoconvert", "!", "videorate", "!", "video/x-raw,framerate=1/1",
                             "!", "pngenc", "!", "multifilesink", "location=\(directory.path)/frame-%03d.png"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".png") }.sorted()
        return try files.map { try Image(contentsOfFile: directory.appendingPathComponent($0).path) }
    }
}

/// `$NOTIFY_SOCKET` played by the test: collects the sd_notify datagrams.
