import BrokerCore
import Foundation
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The broker's motion socket with a test peer in facegate-onvif's place: a report opens and
/// closes the camera's motion session, the link's end closes it (fail-secure), and a peer for
/// the wrong camera, a second peer, or a report about another camera are refused.
final class MotionSocketTests: XCTestCase {
    private func connect(_ h: BrokerHarness, camera: String = "cam-a") throws -> MessageConnection {
        try MessageConnection.connect(path: h.socketsDirectory + "/motion.sock",
                                      hello: Hello(role: .motion, name: "test-onvif", pid: UInt32(getpid()), camera: camera),
                                      expecting: [.broker])
    }

    private func status(_ h: BrokerHarness) throws -> BrokerStatus {
        let admin = try MessageConnection.connect(path: h.socketsDirectory + "/broker.ctl",
                                                  hello: Hello(role: .admin, name: "t", pid: 1), expecting: [.broker])
        defer { admin.close() }
        try admin.send(.statusRequest)
        guard case let .statusReply(reply) = try admin.receive() else { throw WireError.closed }
        return try JSONDecoder().decode(BrokerStatus.self, from: Data(reply.json.utf8))
    }

    private func openSessions(_ h: BrokerHarness) throws -> [String] { try status(h).openSessions.map(\.trigger) }

    /// cam-a's motion source and whether its facegate-onvif is connected, as status says.
    private func cameraA(_ h: BrokerHarness) throws -> (source: String?, linked: Bool?) {
        let camera = try XCTUnwrap(try status(h).cameras.first { $0.id == "cam-a" })
        return (camera.motionSource, camera.onvifConnected)
    }

    /// The error the broker sends before closing, or nil when it closed without one.
    private func refusal(_ connection: MessageConnection) -> String? {
        connection.socket.setReceiveTimeout(seconds: 5)
        if case let .error(e)? = try? connection.receive() { return e.text }
        return nil
    }

    func testReportsFeedTheMotionTimelineAndTheLinkEndClosesIt() throws {
        var options = BrokerHarness.Options()
        options.onvif = true
        let h = try BrokerHarness(options)
        try h.startBroker()
        XCTAssertEqual(try cameraA(h).source, "onvif")
        XCTAssertEqual(try cameraA(h).linked, false)
        let link = try connect(h)
        try link.send(.motion(MotionReport(camera: "cam-a", active: true, cameraWallNs: 1_709_294_405_000_000_000,
                                           detail: "tns1:RuleEngine/CellMotionDetector/Motion IsMotion")))
        XCTAssertTrue(h.broker.waitForLine("msg=\"motion true\"", "source=onvif", "camera_time=2024-03-01T12:00:05.000Z"), h.broker.log)
        XCTAssertEqual(try openSessions(h), ["motion on cam-a"])
        XCTAssertEqual(try cameraA(h).linked, true)

        let second = try connect(h)
        XCTAssertEqual(refusal(second), "peer rejected: camera 'cam-a' already has a facegate-onvif connected")
        XCTAssertEqual(try openSessions(h), ["motion on cam-a"], "a refused second peer changes nothing")

        try link.send(.motion(MotionReport(camera: "cam-a", active: false)))
        XCTAssertTrue(h.broker.waitForLine("msg=\"motion false\"", "source=onvif", "change=closed"), h.broker.log)
        try link.send(.motion(MotionReport(camera: "cam-a", active: true)))
        XCTAssertTrue(h.broker.waitForLine("msg=\"motion true\"", "source=onvif", count: 2), h.broker.log)
        link.close()
        XCTAssertTrue(h.broker.waitForLine("msg=\"onvif link lost; motion session closed\""), h.broker.log)
        XCTAssertEqual(try openSessions(h), [])
        XCTAssertEqual(try cameraA(h).linked, false)

        let liar = try connect(h)
        try liar.send(.motion(MotionReport(camera: "cam-b", active: true)))
        XCTAssertEqual(refusal(liar), "invalid motion.camera: 'cam-b' on the connection of 'cam-a'")
        XCTAssertEqual(try openSessions(h), [])
    }

    func testACameraWithoutAnOnvifTriggerRefusesMotionPeers() throws {
        var options = BrokerHarness.Options()
        options.motion = true
        let h = try BrokerHarness(options)
        try h.startBroker()
        XCTAssertEqual(try cameraA(h).source, "mqtt")
        XCTAssertNil(try cameraA(h).linked, "only an onvif camera has a link to report")
        XCTAssertEqual(refusal(try connect(h)), "peer rejected: camera 'cam-a' has no onvif trigger (its motion source: mqtt)")
        XCTAssertEqual(refusal(try connect(h, camera: "cam-z")), "peer rejected: camera 'cam-z' is not configured")
        XCTAssertTrue(h.broker.waitForLine("has no onvif trigger"), h.broker.log)
    }
}
