import Foundation
@testable import WebConsole
import XCTest

/// The timeline picture as a pure function of its input.
final class TimelineSVGTests: XCTestCase {
    private let s: Int64 = 1_000_000_000

    /// The seed's race: DC001 touched before the capture (in the snapshot, opened), DC006
    /// touched after it (not in the snapshot, not opened).
    private var race: DecisionTimeline {
        DecisionTimeline(captureNs: 100 * s, decisionNs: 100 * s + 400_000_000, lanes: [
            .init(lock: "DC001", sessions: [.init(startNs: 99 * s, endNs: 102 * s)], inSnapshot: true, opened: true),
            .init(lock: "DC006", sessions: [.init(startNs: 100 * s + 200_000_000, endNs: nil)], inSnapshot: false, opened: false),
        ])
    }

    private func attribute(_ name: String, of element: String, in svg: String, after marker: String) -> Int? {
        guard let start = svg.range(of: marker) else { return nil }
        let rest = svg[start.upperBound...]
        guard let el = rest.range(of: "<\(element) "), let a = rest[el.upperBound...].range(of: "\(name)=\"") else { return nil }
        let value = rest[a.upperBound...].prefix { $0 != "\"" }
        return Int(value)
    }

    func testEachLockIsALaneWithItsSessionsAndWhatBecameOfIt() throws {
        let svg = TimelineSVG.render(race)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg)
        XCTAssertTrue(svg.hasSuffix("</svg>"))
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"lane\"").count - 1, 2)
        XCTAssertTrue(svg.contains("data-lock=\"DC001\""))
        XCTAssertTrue(svg.contains(">opened</text>"))
        XCTAssertTrue(svg.contains(">not in snapshot</text>"))
        XCTAssertTrue(svg.contains("DC001 session -1.000 s–+2.000 s"))
        XCTAssertTrue(svg.contains("DC006 session +0.200 s–open"))
        XCTAssertTrue(svg.contains("decision +400 ms"))
    }

    func testTheRaceIsDrawnInTimeOrder() throws {
        let svg = TimelineSVG.render(race)
        let captureLine = try XCTUnwrap(svg.range(of: "<line class=\"cap\" x1=\"")).upperBound
        let capture = Int(svg[captureLine...].prefix { $0 != "\"" })!
        let dc001 = try XCTUnwrap(attribute("x", of: "rect", in: svg, after: "data-lock=\"DC001\""))
        let dc006 = try XCTUnwrap(attribute("x", of: "rect", in: svg, after: "data-lock=\"DC006\""))
        let decisionLine = try XCTUnwrap(svg.range(of: "<line class=\"dec\" x1=\"")).upperBound
        let decision = Int(svg[decisionLine...].prefix { $0 != "\"" })!
        XCTAssertLessThan(dc001, capture, "the touch that was in the snapshot began before the capture")
        XCTAssertGreaterThan(dc006, capture, "the late touch began after the capture: why DC006 did not open")
        XCTAssertGreaterThan(decision, dc006)
        XCTAssertGreaterThanOrEqual(dc001, TimelineSVG.labelWidth)
        XCTAssertLessThanOrEqual(decision, TimelineSVG.width - TimelineSVG.statusWidth)
    }

    func testLockNamesAreEscapedAndAFrameWithoutCaptureStillDraws() {
        let svg = TimelineSVG.render(DecisionTimeline(captureNs: nil, decisionNs: 5 * s, lanes: [
            .init(lock: "<script>", sessions: [], inSnapshot: false, opened: false),
        ]))
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertTrue(svg.contains("&lt;script&gt;"))
        XCTAssertFalse(svg.contains("class=\"cap\""), "no capture line without a capture instant")
        XCTAssertTrue(svg.contains("class=\"dec\""))
        XCTAssertEqual(TimelineSVG.render(DecisionTimeline(captureNs: nil, decisionNs: 5 * s, lanes: [])).contains("<svg"), true)
    }

    func testTheSameInputGivesTheSamePicture() {
        XCTAssertEqual(TimelineSVG.render(race), TimelineSVG.render(race))
    }
}
