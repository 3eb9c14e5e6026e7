@testable import LockBroker
import XCTest

/// What the broker takes from a lock's MQTT message: `occupancy` only as a JSON boolean, the
/// lock's confirm_key only as a string; every other shape refused with the reason it logs.
final class TriggerMessageTests: XCTestCase {
    private func report(_ text: String, confirmKey: String = "state") throws -> LockReport {
        try LockReport.parse(Array(text.utf8), confirmKey: confirmKey)
    }

    private func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            let accepted = try report(text)
            XCTFail("\(text) was accepted as \(accepted)", file: file, line: line)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testOccupancyAndConfirmationAreRead() throws {
        XCTAssertEqual(try report(#"{"occupancy":true}"#), LockReport(occupancy: true, confirmation: nil))
        XCTAssertEqual(try report(#" {"occupancy" : false} "#), LockReport(occupancy: false, confirmation: nil))
        // zigbee2mqtt's whole device state: every other key ignored, whatever it holds.
        XCTAssertEqual(try report(#"{"battery":87,"linkquality":120,"occupancy":true,"update":{"state":"idle"},"x":[1,null]}"#),
                       LockReport(occupancy: true, confirmation: nil))
        XCTAssertEqual(try report(#"{"state":"UNLOCK","lock_state":"unlocked"}"#), LockReport(occupancy: nil, confirmation: "UNLOCK"))
        XCTAssertEqual(try report(#"{"state":"UNLOCK","lock_state":"unlocked"}"#, confirmKey: "lock_state"),
                       LockReport(occupancy: nil, confirmation: "unlocked"))
        XCTAssertEqual(try report(#"{"battery":90}"#), LockReport(occupancy: nil, confirmation: nil), "no occupancy: opens or closes nothing")
        XCTAssertEqual(try report("{}"), LockReport(occupancy: nil, confirmation: nil))
    }

    func testAConfirmKeyOfAnotherTypeConfirmsNothingAndRefusesNothing() throws {
        for value in ["1", "true", "null", #"["UNLOCK"]"#, #"{"v":"UNLOCK"}"#] {
            XCTAssertEqual(try report(#"{"occupancy":true,"state":\#(value)}"#), LockReport(occupancy: true, confirmation: nil), value)
        }
    }

    func testOccupancyOfAnyOtherTypeIsRefusedByName() {
        let cases = [
            #"{"occupancy":1}"#: "a number", #"{"occupancy":0}"#: "a number", #"{"occupancy":1.0}"#: "a number",
            #"{"occupancy":"true"}"#: "a string", #"{"occupancy":"yes"}"#: "a string",
            #"{"occupancy":null}"#: "null", #"{"occupancy":[true]}"#: "an array", #"{"occupancy":{"v":true}}"#: "an object",
        ]
        for (payload, type) in cases {
            XCTAssertEqual(refusal(payload), "\"occupancy\" is \(type), not a boolean", payload)
        }
    }

    func testPayloadsThatAreNotAJSONObjectAreRefusedByName() {
        for payload in ["not json", "", #"{"occupancy":true"#, #"{"occupancy":tru}"#, "\u{FEFF}\u{0}"] {
            XCTAssertEqual(refusal(payload), "payload is not JSON", payload)
        }
        for payload in ["true", "1", #""occupancy""#, #"[{"occupancy":true}]"#, "null"] {
            XCTAssertEqual(refusal(payload), "payload is not a JSON object", payload)
        }
    }
}
