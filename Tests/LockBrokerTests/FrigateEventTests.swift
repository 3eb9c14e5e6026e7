import FacegateConfig
import XCTest
@testable import LockBroker

final class FrigateEventTests: XCTestCase {
    private func event(_ json: String) throws -> FrigateEvent { try FrigateEvent.parse(Array(json.utf8)) }

    /// Shaped like Frigate 0.13/0.14's frigate/events (trimmed: only what facegate reads, plus noise).
    func testNewUpdateEndOfAPersonInAZone() throws {
        let trigger = FrigateTrigger(camera: "front", labels: ["person"], zones: ["porch"])
        let new = try event(#"""
        {"type":"new","before":{"id":"1700000000.1-abc","camera":"front","label":"person","current_zones":[]},
         "after":{"id":"1700000000.1-abc","camera":"front","frame_time":1700000000.5,"label":"person","sub_label":null,
                  "top_score":0.82,"false_positive":false,"current_zones":["porch"],"entered_zones":["porch"],"stationary":false}}
        """#)
        XCTAssertEqual(new, FrigateEvent(kind: .new, id: "1700000000.1-abc", camera: "front", label: "person",
                                         currentZones: ["porch"], falsePositive: false))
        XCTAssertTrue(new.counts(for: trigger))
        var left = new
        left.kind = .update; left.currentZones = ["driveway"]
        XCTAssertFalse(left.counts(for: trigger), "left the zone")
        XCTAssertTrue(left.counts(for: FrigateTrigger(camera: "front")), "no zones configured: anywhere counts")
        var end = new
        end.kind = .end
        XCTAssertFalse(end.counts(for: trigger))
        var car = new
        car.label = "car"
        XCTAssertFalse(car.counts(for: trigger))
        var falsePositive = new
        falsePositive.falsePositive = true
        XCTAssertFalse(falsePositive.counts(for: trigger))
    }

    func testWhatIsNotAFrigateEventIsNamed() {
        func reason(_ json: String) -> String {
            do { _ = try event(json); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(reason("ON"), "payload is not a JSON object")
        XCTAssertEqual(reason(#"[{"type":"new"}]"#), "payload is not a JSON object")
        XCTAssertEqual(reason("null"), "payload is not a JSON object")
        XCTAssertEqual(reason(#"{"type":1,"after":{}}"#), "no \"type\"")
        XCTAssertEqual(reason(#"{"type":"new","after":[]}"#), "no \"after\" object")
        XCTAssertEqual(reason(#"{"after":{}}"#), "no \"type\"")
        XCTAssertEqual(reason(#"{"type":"begin","after":{}}"#), "\"type\" is \"begin\", not new, update or end")
        XCTAssertEqual(reason(#"{"type":"new"}"#), "no \"after\" object")
        XCTAssertEqual(reason(#"{"type":"new","after":{"camera":"front","label":"person"}}"#), "no after.id")
        XCTAssertEqual(reason(#"{"type":"new","after":{"id":"x","label":"person"}}"#), "no after.camera")
        XCTAssertEqual(reason(#"{"type":"new","after":{"id":"x","camera":"front"}}"#), "no after.label")
        XCTAssertEqual(try? event(#"{"type":"end","after":{"id":"x","camera":"c","label":"person","false_positive":1}}"#).falsePositive, false,
                       "only a JSON true marks a false positive")
        XCTAssertEqual(try? event(#"{"type":"end","after":{"id":"x","camera":"c","label":"person","false_positive":"true"}}"#).falsePositive, false)
    }
}
