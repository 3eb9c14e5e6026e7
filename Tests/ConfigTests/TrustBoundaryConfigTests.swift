import FacegateConfig
import Foundation
import TestSupport
import XCTest

/// Configuration mistakes found while hardening the trust boundaries (issue 16), each with the
/// message an operator needs.
final class TrustBoundaryConfigTests: XCTestCase {
    private func problems(_ text: String) -> [String] { FacegateConfiguration.check(text: text).map(\.description) }

    private func assertOneProblem(_ text: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(text)
        XCTAssertEqual(found.count, 1, found.joined(separator: "\n"), file: file, line: line)
        XCTAssertTrue(found.first?.contains(fragment) ?? false, found.joined(separator: "\n"), file: file, line: line)
    }

    func testNonFiniteNumbersAreNamedAsSuch() {
        assertOneProblem("[decision]\nmatch_threshold = nan\n", "line 2: decision.match_threshold: must be a finite number, not nan")
        assertOneProblem("[decision]\nmatch_margin = inf\n", "decision.match_margin: must be a finite number, not inf")
        assertOneProblem("[decision]\nmax_decision_age = -inf\n", "must be a finite number, not -inf")
    }

    func testADirectoryIsNotAConfigurationFile() throws {
        let dir = TemporaryDirectory(prefix: "fgcfg")
        XCTAssertThrowsError(try FacegateConfiguration.load(path: dir.url.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot read \(dir.url.path): it is a directory"), text)
            XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
        }
    }

    func testSocketPathsLongerThanSunPathAreReportedWithTheirLength() throws {
        let dir = TemporaryDirectory(prefix: "fgcfg")
        let sockets = "/tmp/" + String(repeating: "d", count: 90)
        let file = dir.file("f.toml")
        try """
            [runtime]
            sockets_dir = "\(sockets)"

            [[locks]]
            id = "DC001"

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001"]
            """.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FacegateConfiguration.load(path: file.path)) { error in
            let text = "\(error)"
            // 95 + "/recognizer.sock" = 111 and 95 + "/capture-cam-a.ctl" = 113; "/broker.ctl" fits.
            XCTAssertTrue(text.contains(":2: runtime.sockets_dir: socket path \(sockets)/recognizer.sock is 111 bytes"), text)
            XCTAssertTrue(text.contains(":8: cameras[0].id: socket path \(sockets)/capture-cam-a.ctl is 113 bytes"), text)
            XCTAssertFalse(text.contains("broker.ctl"), text)
        }
        // 80 bytes of directory: every socket fits.
        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: sockets, with: "/tmp/" + String(repeating: "d", count: 75))
            .write(to: file, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try FacegateConfiguration.load(path: file.path))
    }

    func testFriendlyNamesThatAreCommandTopicsAreRefused() {
        let other = "[[locks]]\nid = \"DC001\"\n\n[[locks]]\nid = \"DC002\"\n"
        assertOneProblem(other + "friendly_name = \"DC001/set\"\n", "line 6: locks[1].friendly_name: friendly name \"DC001/set\" is lock \"DC001\"'s command topic")
        assertOneProblem(other + "friendly_name = \"hall/set\"\n", "must not contain a /set or /get segment")
        assertOneProblem(other + "friendly_name = \"hall/get/x\"\n", "must not contain a /set or /get segment")
        assertOneProblem(other + "friendly_name = \"hall/#\"\n", "must not contain the MQTT wildcards + or #")
        assertOneProblem(other + "friendly_name = \"hall/+/x\"\n", "must not contain the MQTT wildcards + or #")
        XCTAssertEqual(problems(other + "friendly_name = \"hall/settings\"\n"), [])
        XCTAssertEqual(problems(other + "friendly_name = \"set\"\n"), [])
    }

    func testSocketLimitsAndPhotoLimitAreReadAndChecked() throws {
        let config = try FacegateConfiguration.parse(text: """
            [runtime]
            message_deadline = 2.5
            handshake_timeout = 1
            max_unidentified_peers = 4

            [recognizer]
            max_photo_pixels = 12000000
            """)
        XCTAssertEqual(config.runtime.messageDeadline, 2.5)
        XCTAssertEqual(config.runtime.handshakeTimeout, 1)
        XCTAssertEqual(config.runtime.maxUnidentifiedPeers, 4)
        XCTAssertEqual(config.recognizer.maxPhotoPixels, 12_000_000)
        let defaults = try FacegateConfiguration.parse(text: "")
        XCTAssertEqual(defaults.runtime.messageDeadline, 5)
        XCTAssertEqual(defaults.runtime.handshakeTimeout, 3)
        XCTAssertEqual(defaults.runtime.maxUnidentifiedPeers, 16)
        XCTAssertEqual(defaults.recognizer.maxPhotoPixels, 16_000_000)
        assertOneProblem("[runtime]\nmessage_deadline = 0\n", "runtime.message_deadline: must be greater than 0 and at most 300, not 0")
        assertOneProblem("[runtime]\nmax_unidentified_peers = 0\n", "must be between 1 and 1024, not 0")
        assertOneProblem("[recognizer]\nmax_photo_pixels = 0\n", "recognizer.max_photo_pixels: must be between 1 and 200000000, not 0")
    }

    func testAuditQueueSettingsAreReadAndChecked() throws {
        let config = try FacegateConfiguration.parse(text: "[runtime]\naudit_queue_capacity = 4\naudit_drain_timeout = 0.5\n")
        XCTAssertEqual(config.runtime.auditQueueCapacity, 4)
        XCTAssertEqual(config.runtime.auditDrainTimeout, 0.5)
        let defaults = try FacegateConfiguration.parse(text: "")
        XCTAssertEqual(defaults.runtime.auditQueueCapacity, 64)
        XCTAssertEqual(defaults.runtime.auditDrainTimeout, 5)
        assertOneProblem("[runtime]\naudit_queue_capacity = 0\n", "line 2: runtime.audit_queue_capacity: must be between 1 and 100000, not 0")
        assertOneProblem("[runtime]\naudit_queue_capacity = 1.5\n", "runtime.audit_queue_capacity")
        assertOneProblem("[runtime]\naudit_drain_timeout = 0\n", "runtime.audit_drain_timeout: must be greater than 0 and at most 300, not 0")
        assertOneProblem("[runtime]\naudit_drain_timeout = \"5s\"\n", "runtime.audit_drain_timeout")
    }
}
