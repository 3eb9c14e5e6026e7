import FacegateConfig
import XCTest

/// `[mqtt] allow_anonymous`, the login the broker requires, `[roles]`, and the mosquitto ACL.
final class TrustSettingsTests: XCTestCase {
    func testAnAnonymousLoginIsAProblemOnlyWhereALoginIsRequiredAndNotAllowedExplicitly() throws {
        let anonymous = "[mqtt]\nhost = \"127.0.0.1\"\n"
        XCTAssertEqual(FacegateConfiguration.check(text: anonymous), [])
        let problems = FacegateConfiguration.check(text: anonymous, requireMQTTLogin: true)
        XCTAssertEqual(problems.map(\.line), [1])
        XCTAssertTrue(problems[0].message.hasPrefix("mqtt.username: is not set"), problems[0].message)

        let allowed = try FacegateConfiguration.parse(text: anonymous + "allow_anonymous = true\n", requireMQTTLogin: true)
        XCTAssertTrue(allowed.mqtt.allowAnonymous)
        let login = try FacegateConfiguration.parse(text: anonymous + "username = \"facegate\"\n", requireMQTTLogin: true)
        XCTAssertFalse(login.mqtt.allowAnonymous)

        let both = FacegateConfiguration.check(text: anonymous + "username = \"facegate\"\nallow_anonymous = true\n")
        XCTAssertEqual(both.map(\.line), [4])
        XCTAssertTrue(both[0].message.contains("remove one of them"), both[0].message)
    }

    func testRolesTakeNamesOrIdsAndReportEachMistakeAtItsLine() throws {
        let config = try FacegateConfiguration.parse(text: """
            [roles]
            capture_user = "root"
            recognizer_user = 4242
            recognizer_group = "root"
            """)
        XCTAssertEqual(config.roles.capture, RoleBinding(uid: 0, userName: "root"))
        XCTAssertEqual(config.roles.recognizer, RoleBinding(uid: 4242, gid: 0, groupName: "root"))
        XCTAssertNil(config.roles.admin)
        XCTAssertEqual(config.roles.recognizer?.description, "uid 4242 or gid 0 (root)")
        XCTAssertTrue(try FacegateConfiguration.parse(text: "").roles.isEmpty)

        let problems = FacegateConfiguration.check(text: """
            [roles]
            capture_user = "no-such-user-fg"
            recognizer_group = -3
            admin_user = ""
            admin_groop = "root"
            tap_user = true
            """)
        XCTAssertEqual(problems.map(\.line), [2, 3, 4, 5, 6], "\(problems)")
        XCTAssertTrue(problems[0].message.contains("no user \"no-such-user-fg\" on this host"), problems[0].message)
        XCTAssertTrue(problems[1].message.contains("between 0 and"), problems[1].message)
        XCTAssertTrue(problems[2].message.contains("must not be empty"), problems[2].message)
        XCTAssertTrue(problems[3].message.contains("did you mean \"admin_group\""), problems[3].message)
        XCTAssertTrue(problems[4].message.contains("unknown key"), problems[4].message)
    }

    func testTheACLGivesEachLoginOnlyItsOwnTopics() throws {
        let config = try FacegateConfiguration.parse(text: """
            [mqtt]
            username = "fg"
            base_topic = "z2m"
            [[locks]]
            id = "front"
            friendly_name = "Front Door"
            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["front"]
            motion_topic = "nvr/cam-a/motion"
            motion_locks = ["front"]
            """)
        let acl = try MosquittoACL(configuration: config, motionUser: "nvr-1")
        XCTAssertEqual(acl.users, ["fg", "zigbee2mqtt", "nvr-1"])
        let rules = acl.text(source: "site.toml", passwordFile: "/p").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        XCTAssertEqual(rules, ["user fg", "topic read z2m/Front Door", "topic read nvr/cam-a/motion", "topic write z2m/Front Door/set",
                               "user zigbee2mqtt", "topic readwrite z2m/#", "user nvr-1", "topic write nvr/cam-a/motion"])
        XCTAssertThrowsError(try MosquittoACL(configuration: config, motionUser: "fg")) {
            XCTAssertEqual($0 as? MosquittoACL.Problem, .sharedUser("fg"))
        }
        XCTAssertThrowsError(try MosquittoACL(configuration: config, zigbee2mqttUser: "z 2")) {
            XCTAssertEqual($0 as? MosquittoACL.Problem, .badUserName(role: "zigbee2mqtt", name: "z 2"))
        }
    }
}
