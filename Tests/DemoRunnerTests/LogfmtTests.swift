@testable import DemoRunner
import XCTest

final class LogfmtTests: XCTestCase {
    func testBareQuotedAndEscapedValues() {
        let line = #"level=info component=broker lock=DC001 change="opened(34888eab00000001, replacingExpired: nil)" reason="said \"hi\"\nback\\slash" msg="occupancy true""#
        let fields = Logfmt.fields(line)
        XCTAssertEqual(fields["level"], "info")
        XCTAssertEqual(fields["lock"], "DC001")
        XCTAssertEqual(fields["change"], "opened(34888eab00000001, replacingExpired: nil)")
        XCTAssertEqual(fields["reason"], "said \"hi\"\nback\\slash")
        XCTAssertEqual(fields["msg"], "occupancy true")
    }

    func testRepeatedKeyKeepsTheLastValue() {
        // The broker's MQTT logger adds its own component after the process's.
        let fields = Logfmt.fields("level=info component=broker component=mqtt msg=connected")
        XCTAssertEqual(fields["component"], "mqtt")
        XCTAssertEqual(fields["msg"], "connected")
    }

    func testTextThatIsNotLogfmtYieldsNoFieldsAndEnds() {
        XCTAssertEqual(Logfmt.fields("facegate-tap: attached to /tmp/x (broker pid=3)"), ["pid": "3)"])
        XCTAssertEqual(Logfmt.fields("=value == = x="), ["x": ""])
        XCTAssertEqual(Logfmt.fields(#"msg="unterminated"#), ["msg": "unterminated"])
        XCTAssertEqual(Logfmt.fields(""), [:])
    }
}
