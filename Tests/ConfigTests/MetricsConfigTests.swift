import FacegateConfig
import Foundation
import XCTest

/// `[metrics]`: addresses parsed with the key and line of every mistake, loopback unless
/// `allow_remote`, ports per camera and per numbered recognizer.
final class MetricsConfigTests: XCTestCase {
    private func problems(_ text: String) -> [String] { FacegateConfiguration.check(text: text).map(\.description) }

    private let cameras = """
        [[locks]]
        id = "DC001"

        [[cameras]]
        id = "cam-a"
        source = "test://smpte"
        locks = ["DC001"]

        [[cameras]]
        id = "cam-b"
        source = "test://smpte"
        locks = ["DC001"]

        """

    func testOffByDefault() throws {
        let config = try FacegateConfiguration.parse(text: cameras)
        XCTAssertEqual(config.metrics, MetricsSettings())
        XCTAssertNil(config.metrics.broker)
        XCTAssertNil(config.metrics.camera(index: 0))
        XCTAssertNil(config.metrics.recognizer(name: "1"))
    }

    func testAddressesPerProcess() throws {
        let config = try FacegateConfiguration.parse(text: cameras + """
            [metrics]
            broker = "127.0.0.1:9464"
            cameras = "127.0.0.1:9470"
            recognizers = "127.0.0.2:9480"
            """)
        XCTAssertEqual(config.metrics.broker, ListenAddress(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(config.metrics.camera(index: 0)?.description, "127.0.0.1:9470")
        XCTAssertEqual(config.metrics.camera(index: 1)?.description, "127.0.0.1:9471")
        XCTAssertEqual(config.metrics.recognizer(name: "2")?.description, "127.0.0.2:9482")
        XCTAssertNil(config.metrics.recognizer(name: "r1"), "only numbered recognizers take a port from the base")
    }

    func testNonLoopbackRefusedUnlessAllowed() throws {
        let found = problems("[metrics]\nbroker = \"192.0.2.7:9464\"\n")
        XCTAssertEqual(found.count, 1, found.joined(separator: "\n"))
        XCTAssertTrue(found[0].hasPrefix("line 2: metrics.broker: 192.0.2.7:9464 is not a loopback address"), found[0])
        XCTAssertTrue(found[0].contains("allow_remote = true"), found[0])

        let allowed = try FacegateConfiguration.parse(text: "[metrics]\nallow_remote = true\nbroker = \"0.0.0.0:9464\"\n")
        XCTAssertEqual(allowed.metrics.broker?.description, "0.0.0.0:9464")
        XCTAssertNil(allowed.metrics.check(ListenAddress(host: "192.0.2.7", port: 1)))
        XCTAssertNotNil(MetricsSettings().check(ListenAddress(host: "192.0.2.7", port: 1)))
        XCTAssertNil(MetricsSettings().check(ListenAddress(host: "127.0.0.1", port: 1)))
    }

    func testMalformedAddressesNameKeyLineAndWhatIsWrong() {
        let text = """
            [metrics]
            broker = "localhost"
            cameras = "localhost:9470"
            recognizers = "127.0.0.1:70000"
            alow_remote = true
            """
        XCTAssertEqual(problems(text), [
            "line 2: metrics.broker: \"localhost\" is not host:port (e.g. \"127.0.0.1:9464\")",
            "line 3: metrics.cameras: host \"localhost\" in \"localhost:9470\" is not an IPv4 address such as 127.0.0.1",
            "line 4: metrics.recognizers: port \"70000\" in \"127.0.0.1:70000\" is not between 1 and 65535",
            "line 5: metrics.alow_remote: unknown key (did you mean \"allow_remote\"?)",
        ])
        XCTAssertEqual(problems("[metrics]\nbroker = 9464\n"), ["line 2: metrics.broker: must be a string, not an integer"])
    }

    func testCameraPortsMustFitAndNotHoldTheBrokers() {
        XCTAssertEqual(problems(cameras + "[metrics]\ncameras = \"127.0.0.1:65535\"\n"),
                       ["line 14: metrics.cameras: 2 cameras need ports 65535 to 65536, past 65535"])
        XCTAssertEqual(problems(cameras + "[metrics]\nbroker = \"127.0.0.1:9471\"\ncameras = \"127.0.0.1:9470\"\n"),
                       ["line 14: metrics.broker: port 9471 is one of the cameras' ports 9470-9471 ([metrics] cameras)"])
    }
}
