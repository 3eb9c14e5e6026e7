import FacegateConfig
import XCTest

/// `[home_assistant]`: off by default, its keys checked at their lines, its trees kept apart
/// from the topics facegate reads, and the ACL that lets discovery through a closed bus.
final class HomeAssistantConfigTests: XCTestCase {
    let site = """
        [mqtt]
        username = "fg"
        [[locks]]
        id = "DC001"
        [[cameras]]
        id = "cam-a"
        source = "test:"
        locks = ["DC001"]

        """

    func testItIsOffByDefaultAndTakesPrefixAndNodeID() throws {
        let plain = try FacegateConfiguration.parse(text: site)
        XCTAssertEqual(plain.homeAssistant, HomeAssistantSettings())
        XCTAssertFalse(plain.homeAssistant.enabled)
        XCTAssertEqual(plain.homeAssistant.discoveryPrefix, "homeassistant")
        XCTAssertEqual(plain.homeAssistant.nodeID, "facegate")

        let on = try FacegateConfiguration.parse(text: site + """
            [home_assistant]
            enabled = true
            discovery_prefix = "ha/discovery"
            node_id = "front-site_2"
            """)
        XCTAssertEqual(on.homeAssistant, HomeAssistantSettings(enabled: true, discoveryPrefix: "ha/discovery", nodeID: "front-site_2"))
        XCTAssertEqual(on.homeAssistant.availabilityTopic, "facegate/front-site_2/availability")
        XCTAssertEqual(on.homeAssistant.statusTopic, "ha/discovery/status")
    }

    func testEachBadKeyIsReportedAtItsLine() {
        let text = site + """
            [home_assistant]
            enabled = "yes"   # enabled
            discovery_prefix = "home/#"   # prefix
            node_id = "front door"   # node
            nodeid = "x"   # typo
            """
        assertProblem(text, at: "# enabled", "home_assistant.enabled")
        assertProblem(text, at: "# prefix", "home_assistant.discovery_prefix: must not contain the MQTT wildcards")
        assertProblem(text, at: "# node", "home_assistant.node_id: may only contain letters, digits, '_' and '-'")
        assertProblem(text, at: "# typo", "did you mean \"node_id\"")
    }

    func testTreesMustNotOverlapTheTopicsFacegateReads() {
        let z2m = site + """
            [home_assistant]
            enabled = true   # enabled
            discovery_prefix = "zigbee2mqtt"   # prefix
            """
        assertProblem(z2m, at: "# prefix", "home_assistant.discovery_prefix: \"zigbee2mqtt\" overlaps mqtt.base_topic")
        let motion = """
            [mqtt]
            username = "fg"
            [[locks]]
            id = "DC001"
            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001"]
            motion_topic = "facegate/facegate/camera/cam-a/online"   # motion
            motion_locks = ["DC001"]
            [home_assistant]
            enabled = true
            """
        assertProblem(motion, at: "# motion", "cameras[0].motion_topic: \"facegate/facegate/camera/cam-a/online\" lies under a Home Assistant tree")
        // Off, the same file is fine: nothing is published there.
        XCTAssertEqual(FacegateConfiguration.check(text: motion.replacingOccurrences(of: "enabled = true", with: "enabled = false")), [])
    }

    func testLockIdsThatBecomeTheSameDiscoveryIdAreRefused() {
        let text = """
            [[locks]]
            id = "door.1"
            [[locks]]
            id = "door_1"   # second
            [home_assistant]
            enabled = true
            """
        assertProblem(text, at: "# second", "lock \"door_1\" and lock \"door.1\" are both \"door_1\"")
    }

    func testTheACLLetsFacegatePublishDiscoveryAndHomeAssistantOnlyReadIt() throws {
        let config = try FacegateConfiguration.parse(text: site + """
            [home_assistant]
            enabled = true
            node_id = "site1"
            """)
        let acl = try MosquittoACL(configuration: config, homeAssistantUser: "hass")
        XCTAssertEqual(acl.users, ["fg", "zigbee2mqtt", "hass"])
        let rules = acl.text(source: "site.toml", passwordFile: "/p").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        XCTAssertEqual(rules, [
            "user fg", "topic read zigbee2mqtt/DC001", "topic write zigbee2mqtt/DC001/set",
            "topic write homeassistant/+/site1/#", "topic write facegate/site1/#", "topic read homeassistant/status",
            "user zigbee2mqtt", "topic readwrite zigbee2mqtt/#",
            "user hass", "topic read homeassistant/#", "topic write homeassistant/status", "topic read facegate/site1/#",
        ])
        XCTAssertThrowsError(try MosquittoACL(configuration: config, homeAssistantUser: "zigbee2mqtt")) {
            XCTAssertEqual($0 as? MosquittoACL.Problem, .sharedUser("zigbee2mqtt"))
        }
        // Disabled, the ACL is what it was: no Home Assistant user, no discovery topics.
        let off = try MosquittoACL(configuration: FacegateConfiguration.parse(text: site), homeAssistantUser: "hass")
        XCTAssertEqual(off.users, ["fg", "zigbee2mqtt"])
        XCTAssertFalse(off.text(source: "s", passwordFile: "/p").contains("homeassistant"))
    }
}
