import FacegateConfig
import Foundation
import TestSupport
import XCTest
import Vocabulary

final class ConfigurationTests: XCTestCase {
    // MARK: Helpers

    /// The 1-based line of the first line of `text` containing `marker` (tests name lines by content).
    private func line(_ marker: String, in text: String, occurrence: Int = 1) -> Int {
        var seen = 0
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains(marker) {
            seen += 1
            if seen == occurrence { return offset + 1 }
        }
        XCTFail("marker \(marker) not in text")
        return -1
    }

    private func assertProblem(_ problems: [ConfigProblem], line: Int, contains fragment: String,
                               file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertTrue(problems.contains { $0.line == line && $0.message.contains(fragment) },
                      "expected a problem at line \(line) containing \"\(fragment)\", got:\n\(problems.map(\.description).joined(separator: "\n"))",
                      file: file, line: lineNumber)
    }

    private let locks = """
        [[locks]]
        id = "DC001"

        [[locks]]
        id = "DC006"
        unlock_payload = '{"state":"TOGGLE"}'
        """

    // MARK: Valid files

    func testExampleFileLoadsAndChecksClean() throws {
        let path = Paths.packageRoot.appendingPathComponent("deploy/facegate.example.toml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(FacegateConfiguration.check(text: text), [])

        let config = try FacegateConfiguration.load(path: path)
        XCTAssertEqual(config.runtime.maxFrameBytes, 64 << 20)
        XCTAssertEqual(config.runtime.socketsDirectory, "/run/facegate")
        XCTAssertEqual(config.mqtt.baseTopic, "zigbee2mqtt")
        XCTAssertEqual(config.mqtt.maxPayloadBytes, 64 << 10)
        XCTAssertFalse(config.mqtt.usesTLS)
        XCTAssertEqual(config.locks.map(\.id), ["DC001", "DC006"])
        XCTAssertEqual(config.locks.map(\.occupancyMax), [15, 15])
        XCTAssertEqual(config.cameras.map(\.id), ["cam-a"])
        XCTAssertEqual(config.camera(id: "cam-a")?.locks, ["DC001", "DC006"])
        XCTAssertEqual(config.recognizer.detector, .hog)
        XCTAssertEqual(config.recognizer.landmarks, 5)
        XCTAssertEqual(config.decision.matchThreshold, 0.5)
        XCTAssertEqual(config.mqtt.setTopic(for: try XCTUnwrap(config.lock(id: "DC006"))), "zigbee2mqtt/DC006/set")
    }

    func testMinimalFileGetsDefaults() throws {
        let config = try FacegateConfiguration.parse(text: locks + """

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001"]
            """)
        XCTAssertEqual(config.runtime, RuntimeSettings())
        XCTAssertEqual(config.mqtt, MQTTSettings())
        XCTAssertEqual(config.decision, DecisionSettings())
        XCTAssertEqual(config.recognizer, RecognizerSettings())
        XCTAssertEqual(config.locks[0].unlockPayload, #"{"state":"UNLOCK"}"#)
        XCTAssertEqual(config.locks[0].friendlyName, "DC001")
        XCTAssertFalse(config.locks[0].isToggle)
        XCTAssertTrue(config.locks[1].isToggle)
        XCTAssertEqual(config.cameras[0].fps, 10)
        XCTAssertEqual(config.cameras[0].pixelFormat, .rgb24)
        XCTAssertNil(config.cameras[0].motionTopic)
        XCTAssertEqual(FacegateConfiguration.check(text: ""), [])
    }

    func testFractionalDurationsAndZonesAndMotion() throws {
        let config = try FacegateConfiguration.parse(text: locks + """

            [[cameras]]
            id = "cam-a"
            source = "rtsp://127.0.0.1:8554/door"
            locks = ["DC001", "DC006"]
            motion_topic = "nvr/cam-a/motion"
            motion_json_key = "motion"
            motion_locks = ["DC001"]
            motion_max = 2.5
            zones = { DC006 = [0.5, 0, 1, 1] }

            [decision]
            max_decision_age = 0.4
            txn_ttl = 1.5
            """)
        let camera = config.cameras[0]
        XCTAssertEqual(camera.motionMax, 2.5)
        XCTAssertEqual(camera.zones, ["DC006": try NormalizedRect(minX: 0.5, minY: 0, maxX: 1, maxY: 1)])
        XCTAssertTrue(camera.zones["DC006"]!.contains(x: 0.75, y: 0.5))
        XCTAssertFalse(camera.zones["DC006"]!.contains(x: 0.25, y: 0.5))
        XCTAssertEqual(config.decision.maxDecisionAge, 0.4)
        XCTAssertEqual(camera.motionState(payload: Array(#"{"motion":true}"#.utf8)), true)
        XCTAssertEqual(camera.motionState(payload: Array(#"{"motion":false,"x":1}"#.utf8)), false)
        XCTAssertNil(camera.motionState(payload: Array(#"{"motion":1}"#.utf8)))
        XCTAssertNil(camera.motionState(payload: Array("not json".utf8)))

        let plain = CameraSettings(id: "c", source: "test:", motionTopic: "t")
        XCTAssertEqual(plain.motionState(payload: Array("ON\n".utf8)), true)
        XCTAssertEqual(plain.motionState(payload: Array("OFF".utf8)), false)
        XCTAssertNil(plain.motionState(payload: Array("on".utf8)))
    }

    /// A JSON motion payload counts only as a JSON boolean or a string that is the configured
    /// on/off text; every other shape means neither (the broker logs it and ignores it).
    func testJSONMotionPayloadsOfOtherShapesMeanNeither() {
        let camera = CameraSettings(id: "c", source: "test:", motionTopic: "t", motionJSONKey: "motion")
        XCTAssertEqual(camera.motionState(payload: Array(#"{"motion":"ON","battery":3}"#.utf8)), true)
        XCTAssertEqual(camera.motionState(payload: Array(#"{"motion":"OFF"}"#.utf8)), false)
        XCTAssertEqual(camera.motionState(payload: Array(#"{"other":{"x":[1]},"motion":false}"#.utf8)), false)
        for payload in [#"{"motion":0}"#, #"{"motion":"1"}"#, #"{"motion":"true"}"#, #"{"motion":null}"#, #"{"motion":[true]}"#,
                        #"{"motion":{"on":true}}"#, #"{"other":true}"#, "true", #"[{"motion":true}]"#, #"{"motion":true"#, ""] {
            XCTAssertNil(camera.motionState(payload: Array(payload.utf8)), payload)
        }
    }

    // MARK: Errors, each with its line

    func testSyntaxErrorCarriesLineAndColumn() {
        let text = """
            [mqtt]
            host = "127.0.0.1"
            port = = 1883
            """
        let problems = FacegateConfiguration.check(text: text)
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(problems.first?.line, 3)
        XCTAssertNotNil(problems.first?.column)
        XCTAssertTrue(problems.first?.message.contains("TOML syntax") ?? false)
    }

    func testUnknownLockReferencedByCameraIsReportedAtItsElement() {
        let text = locks + """

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = [
                "DC001",
                "DC999",
            ]
            motion_topic = "nvr/a"
            motion_locks = ["DC404"]
            zones = { DC777 = [0, 0, 1, 1] }
            """
        let problems = FacegateConfiguration.check(text: text)
        assertProblem(problems, line: line("\"DC999\"", in: text), contains: "cameras[0].locks[1]: unknown lock \"DC999\"")
        assertProblem(problems, line: line("motion_locks", in: text), contains: "unknown lock \"DC404\"")
        assertProblem(problems, line: line("zones", in: text), contains: "zone for unknown lock \"DC777\"")
        XCTAssertEqual(problems.count, 3, problems.map(\.description).joined(separator: "\n"))
    }

    func testDuplicateIdsAreReportedAtTheSecondOne() {
        let text = """
            [[locks]]
            id = "DC001"
            [[locks]]
            id = "DC002"
            friendly_name = "front"
            [[locks]]
            id = "DC001" # again
            [[locks]]
            id = "DC003"
            friendly_name = "front" # same topic
            [[cameras]]
            id = "cam-a"
            source = "test:"
            [[cameras]]
            id = "cam-a" # twice
            source = "test:"
            """
        let problems = FacegateConfiguration.check(text: text)
        assertProblem(problems, line: line("# again", in: text), contains: "duplicate lock id \"DC001\"")
        assertProblem(problems, line: line("# same topic", in: text), contains: "already used by lock \"DC002\"")
        assertProblem(problems, line: line("# twice", in: text), contains: "duplicate camera id \"cam-a\"")
        XCTAssertEqual(problems.count, 3)
    }

    func testWrongTypesAreReportedAtTheirKey() {
        let text = """
            [runtime]
            tap = 1
            [mqtt]
            port = "1883"
            keepalive = true
            [[locks]]
            id = 42
            [[cameras]]
            id = "cam-a"
            source = "test:"
            fps = "ten"
            locks = "DC001"
            [decision]
            confirm_frames = 2.5
            """
        let problems = FacegateConfiguration.check(text: text)
        assertProblem(problems, line: 2, contains: "runtime.tap: must be true or false, not an integer")
        assertProblem(problems, line: 4, contains: "mqtt.port: must be an integer, not a string")
        assertProblem(problems, line: 5, contains: "mqtt.keepalive: must be a number, not a boolean")
        assertProblem(problems, line: 7, contains: "locks[0].id: must be a string, not an integer")
        assertProblem(problems, line: 11, contains: "cameras[0].fps: must be a number, not a string")
        assertProblem(problems, line: 12, contains: "cameras[0].locks: must be an array of strings")
        assertProblem(problems, line: 14, contains: "decision.confirm_frames: must be an integer")
        XCTAssertEqual(problems.count, 7, problems.map(\.description).joined(separator: "\n"))
    }

    func testOutOfRangeValuesAreReportedAtTheirKey() {
        let text = """
            [mqtt]
            port = 70000
            base_topic = "zigbee2mqtt/#"
            [[locks]]
            id = "DC001"
            occupancy_max = 0
            unlock_payload = "UNLOCK"
            [recognizer]
            landmarks = 7
            detector = "cnn"
            [decision]
            match_threshold = 3
            max_decision_age = 10
            txn_ttl = 5
            """
        let problems = FacegateConfiguration.check(text: text)
        assertProblem(problems, line: 2, contains: "must be between 1 and 65535, not 70000")
        assertProblem(problems, line: 3, contains: "wildcards")
        assertProblem(problems, line: 6, contains: "locks[0].occupancy_max: must be greater than 0")
        assertProblem(problems, line: 7, contains: "must be a JSON object")
        assertProblem(problems, line: 9, contains: "must be 5 or 68, not 7")
        assertProblem(problems, line: 10, contains: "must be one of \"hog\", \"mmod\", not \"cnn\"")
        assertProblem(problems, line: 12, contains: "match_threshold: must be greater than 0 and at most 2, not 3")
        assertProblem(problems, line: 14, contains: "txn_ttl: must be at least max_decision_age")
        XCTAssertEqual(problems.count, 8, problems.map(\.description).joined(separator: "\n"))
    }

    func testUnknownKeysAndSectionsAreErrors() {
        let text = """
            [mqtt]
            hots = "127.0.0.1"
            [[locks]]
            id = "DC001"
            ocupancy_max = 10
            [cameras_extra]
            x = 1
            [decision]
            unlock_all = true
            """
        let problems = FacegateConfiguration.check(text: text)
        assertProblem(problems, line: 2, contains: "mqtt.hots: unknown key (did you mean \"host\"?)")
        assertProblem(problems, line: 5, contains: "did you mean \"occupancy_max\"?")
        assertProblem(problems, line: 6, contains: "cameras_extra: unknown key")
        assertProblem(problems, line: 9, contains: "decision.unlock_all: unknown key")
        XCTAssertEqual(problems.count, 4, problems.map(\.description).joined(separator: "\n"))
    }

    func testMissingRequiredKeysAreReportedAtTheHeader() {
        let text = locks + """

            [[cameras]]
            locks = ["DC001"]
            [[cameras]]
            id = "cam-b"
            source = "ftp://example"
            """
        let problems = FacegateConfiguration.check(text: text)
        let firstHeader = line("[[cameras]]", in: text)
        assertProblem(problems, line: firstHeader, contains: "cameras[0]: missing required key \"id\"")
        assertProblem(problems, line: firstHeader, contains: "cameras[0]: missing required key \"source\"")
        assertProblem(problems, line: line("ftp://", in: text), contains: "cameras[1].source: must be a URI")
        XCTAssertEqual(problems.count, 3)
    }

    func testSeveralErrorsAtOnceComeSortedByLine() {
        let text = """
            [decision]
            match_threshold = 0.4
            match_margin = 0.5          # line 3: not smaller than the threshold
            [mqtt]
            username = ""               # line 5: empty
            password = "x"              # line 6: needs a username
            tls_cert_file = "c.pem"     # line 7: without key, without CA
            [[locks]]
            id = "front door"           # line 9: space
            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["front door", "DC002"]  # line 13: unknown DC002
            zones = { "front door" = [0.6, 0, 0.4, 1] }  # line 14: x0 > x1
            motion_locks = ["front door"]  # line 15: without motion_topic
            """
        let problems = FacegateConfiguration.check(text: text)
        XCTAssertEqual(problems.map(\.line), problems.map(\.line).sorted(), "sorted by line")
        for expected in [3, 5, 6, 7, 9, 13, 14, 15] {
            XCTAssertTrue(problems.contains { $0.line == expected }, "no problem at line \(expected): \(problems)")
        }
        assertProblem(problems, line: 13, contains: "unknown lock \"DC002\"")
        assertProblem(problems, line: 14, contains: "[x0, y0, x1, y1]")
        assertProblem(problems, line: 15, contains: "has no effect without motion_topic")
        XCTAssertThrowsError(try FacegateConfiguration.parse(text: text)) { error in
            XCTAssertEqual((error as? ConfigError)?.problems, problems)
        }
    }

    // MARK: load(path:)

    func testLoadReportsFileAndLinesAndReadsPasswordFile() throws {
        let dir = TemporaryDirectory(prefix: "fgcfg")
        let good = dir.file("good.toml")
        try """
            [runtime]
            sockets_dir = "sockets"
            database = "db/facegate.sqlite"
            [mqtt]
            username = "facegate"
            password_file = "secret"
            """.write(to: good, atomically: true, encoding: .utf8)
        try "s3cret\n".write(to: dir.file("secret"), atomically: true, encoding: .utf8)
        let config = try FacegateConfiguration.load(path: good.path)
        XCTAssertEqual(config.mqtt.password, "s3cret")
        XCTAssertEqual(config.runtime.socketsDirectory, dir.file("sockets").standardizedFileURL.path)
        XCTAssertEqual(config.runtime.database, dir.file("db/facegate.sqlite").standardizedFileURL.path)

        try FileManager.default.removeItem(at: dir.file("secret"))
        XCTAssertThrowsError(try FacegateConfiguration.load(path: good.path)) { error in
            let configError = error as? ConfigError
            XCTAssertEqual(configError?.problems.first?.line, 6)
            XCTAssertTrue(configError?.description.hasPrefix("\(good.path):6: mqtt.password_file: cannot read") ?? false,
                          String(describing: configError))
        }

        let bad = dir.file("bad.toml")
        try "[mqtt]\nport = 0\nhost = 5\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FacegateConfiguration.load(path: bad.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.problems.map(\.line), [2, 3])
            XCTAssertEqual((error as? ConfigError)?.description.split(separator: "\n").first.map(String.init),
                           "\(bad.path):2: mqtt.port: must be between 1 and 65535, not 0")
        }
        XCTAssertThrowsError(try FacegateConfiguration.load(path: dir.file("missing.toml").path)) { error in
            XCTAssertTrue((error as? ConfigError)?.description.contains("cannot read") ?? false)
        }
    }
}
