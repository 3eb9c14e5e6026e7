import FacegateConfig
import Foundation
import XCTest

/// `frigate = {...}` and `onvif = {...}` in a `[[cameras]]` entry, as `facegate config check` reads them.
final class MotionTriggerConfigTests: XCTestCase {
    private let head = """
        [mqtt]
        username = "fg"
        [[locks]]
        id = "front"
        [[cameras]]
        id = "cam-a"
        source = "test:"
        locks = ["front"]
        motion_locks = ["front"]

        """

    func testFrigateAndOnvifAreRead() throws {
        let frigate = try FacegateConfiguration.parse(text: head + #"frigate = { camera = "front_door", zones = ["porch"] }"#)
        XCTAssertEqual(frigate.cameras[0].frigate, FrigateTrigger(camera: "front_door", labels: ["person"], zones: ["porch"], topic: "frigate/events"))
        XCTAssertEqual(frigate.cameras[0].motionSource, "frigate")
        XCTAssertTrue(frigate.cameras[0].hasMotionTrigger)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fg-onvif-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = head + """
            onvif = { url = "http://192.0.2.10/onvif/device_service", username = "facegate", password_file = "cam-a.secret", \
            topics = { "tns1:RuleEngine/FieldDetector/ObjectsInside" = "IsInside" }, pull_timeout = 5, subscription_seconds = 120 }
            """
        let onvif = try FacegateConfiguration.parse(text: text, baseDirectory: dir.path)
        let trigger = try XCTUnwrap(onvif.cameras[0].onvif)
        XCTAssertEqual(trigger.url, "http://192.0.2.10/onvif/device_service")
        XCTAssertEqual(trigger.passwordFile, dir.appendingPathComponent("cam-a.secret").path, "relative to the configuration")
        XCTAssertEqual(trigger.topics, ["tns1:RuleEngine/FieldDetector/ObjectsInside": "IsInside"])
        XCTAssertEqual(trigger.pullTimeout, 5)
        XCTAssertEqual(trigger.subscriptionSeconds, 120)
        XCTAssertEqual(trigger.maxResponseBytes, 1 << 20)
        XCTAssertEqual(onvif.cameras[0].motionSource, "onvif")
    }

    func testBadKeysAreNamedOnTheirLine() {
        assertProblem(head + #"onvif = { url = "rtsp://cam/x", username = "u", password_file = "p" }"#, at: "onvif",
                      "must be the camera's device service as http://HOST[:PORT]/PATH")
        assertProblem(head + #"onvif = { url = "http://cam/x", password_file = "p" }"#, at: "onvif", "missing required key \"username\"")
        assertProblem(head + #"onvif = { url = "http://cam/x", username = "u", password_file = "p", pull_timeout = 0 }"#, at: "onvif",
                      "pull_timeout: must be between 1 and 60")
        assertProblem(head + #"onvif = { url = "http://cam/x", username = "u", password_file = "p", pull_timeout = 30, subscription_seconds = 40 }"#,
                      at: "onvif", "must be at least twice pull_timeout")
        assertProblem(head + #"onvif = { url = "http://cam/x", username = "u", password_file = "p", topics = { "acme:Motion" = "On" } }"#,
                      at: "onvif", "only the tns1: prefix")
        assertProblem(head + #"onvif = { url = "http://cam/x", username = "u", password_file = "p", pasword = "x" }"#,
                      at: "onvif", "unknown key")
        assertProblem(head + #"frigate = { camera = "front", labels = [] }"#, at: "frigate", "must name at least one object label")
        assertProblem(head + #"frigate = { camera = "front", topic = "frigate/#" }"#, at: "frigate", "wildcards")
        assertProblem(head + "frigate = { labels = [\"person\"] }", at: "frigate", "missing required key \"camera\"")
        assertProblem(head + "motion_topic = \"nvr/a\"\nfrigate = { camera = \"front\" }", at: "frigate",
                      "a camera takes its motion from one source; motion_topic and frigate are both set")
        assertProblem(head + #"frigate = { camera = "front", topic = "zigbee2mqtt/frigate" }"#, at: "frigate",
                      "must not lie under mqtt.base_topic")
        let noSource = head.replacingOccurrences(of: "motion_locks", with: "motion_max = 5\nmotion_locks")
        assertProblem(noSource, at: "motion_locks", "has no effect without motion_topic, frigate or onvif")
        let twice = head + "frigate = { camera = \"front\" }\n[[cameras]]\nid = \"cam-b\"\nsource = \"test:\"\nfrigate = { camera = \"front\", labels = [\"person\"] }"
        assertProblem(twice, at: "labels = [\"person\"] }",
                      "Frigate camera \"front\" on frigate/events already triggers camera \"cam-a\"")
    }

    /// The ACL gives Frigate its own tree and facegate read access to the events topic.
    func testACLForFrigate() throws {
        let config = try FacegateConfiguration.parse(text: head + #"frigate = { camera = "front", topic = "frigate/events" }"#)
        let acl = try MosquittoACL(configuration: config)
        XCTAssertEqual(acl.users, ["fg", "zigbee2mqtt", "frigate"])
        let rules = acl.text(source: "site.toml", passwordFile: "/p").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        XCTAssertEqual(rules, ["user fg", "topic read zigbee2mqtt/front", "topic read frigate/events", "topic write zigbee2mqtt/front/set",
                               "user zigbee2mqtt", "topic readwrite zigbee2mqtt/#", "user frigate", "topic readwrite frigate/#"])
        XCTAssertThrowsError(try MosquittoACL(configuration: config, frigateUser: "zigbee2mqtt")) {
            XCTAssertEqual($0 as? MosquittoACL.Problem, .sharedUser("zigbee2mqtt"))
        }
    }
}

extension MotionTriggerConfigTests {
    /// facegate-onvif's role is bound like the others: [roles] motion_user / motion_group.
    func testMotionRoleBinding() throws {
        let config = try FacegateConfiguration.parse(text: "[roles]\nmotion_user = 4242\nmotion_group = 4343\n")
        XCTAssertEqual(config.roles.motion?.uid, 4242)
        XCTAssertEqual(config.roles.motion?.gid, 4343)
        XCTAssertFalse(config.roles.isEmpty)
    }
}
