import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnvifEvents
import OnvifTestCamera
import ProcessSupport
import TestSupport
import XCTest

/// The test camera against an ONVIF client that is not ours: onvif-zeep-async (Home
/// Assistant's), which reads every answer through the ONVIF WSDLs with zeep and makes its own
/// digests. scripts/setup.sh installs it into .cache/onvif-client.
final class IndependentClientTests: XCTestCase {
    static let python = Paths.packageRoot.appendingPathComponent(".cache/onvif-client/bin/python")

    func testZeepClientAgreesWithTheTestCamera() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            return XCTFail("\(Self.python.path) missing: scripts/setup.sh installs onvif-zeep-async there")
        }
        var quirks = OnvifTestCamera.Quirks()
        quirks.clockOffsetSeconds = 5 * 3600
        quirks.createdTolerance = 10
        let camera = OnvifTestCamera(username: "admin", password: "camera-secret", quirks: quirks)
        try camera.start()
        defer { camera.stop() }
        camera.setMotion(true, source: .cellMotion)

        let dir = TemporaryDirectory(prefix: "zeep")
        let child = try ChildProcess(Self.python, [Paths.packageRoot.appendingPathComponent("scripts/onvif-zeep-check.py").path,
                                                   "127.0.0.1", String(camera.port), "admin", "camera-secret"],
                                     logDirectory: dir.url, name: "zeep")
        let status = child.waitForExit(timeout: 120)
        let steps = child.log.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard line.hasPrefix("{") else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        XCTAssertEqual(status, 0, child.log + "\ncamera saw: \(camera.requests)")
        func step(_ name: String) -> [[String: Any]] { steps.filter { $0["step"] as? String == name } }

        // Its own clock correction: 5 h, within the second GetSystemDateAndTime gives.
        let offset = try XCTUnwrap(step("time").first?["dt_diff_s"] as? Double, child.log)
        XCTAssertEqual(offset, 5 * 3600, accuracy: 2)
        XCTAssertEqual(step("capabilities").first?["events"] as? String, "http://127.0.0.1:\(camera.port)/onvif/event_service")
        XCTAssertEqual(step("subscribed").first?["lifetime_s"] as? Double, 60)
        // The Initialized state of both motion sources, read through the schema.
        let notifications = step("notification")
        XCTAssertEqual(notifications.count, 2, child.log)
        let cell = try XCTUnwrap(notifications.first { ($0["topic"] as? String)?.hasSuffix("CellMotionDetector/Motion") == true }, child.log)
        XCTAssertEqual(cell["operation"] as? String, "Initialized")
        XCTAssertEqual((cell["data"] as? [String: String])?["IsMotion"], "true")
        let alarm = try XCTUnwrap(notifications.first { ($0["topic"] as? String)?.hasSuffix("VideoSource/MotionAlarm") == true }, child.log)
        XCTAssertEqual((alarm["data"] as? [String: String])?["State"], "false")
        XCTAssertEqual(step("renewed").first?["lifetime_s"] as? Double, 120)
        XCTAssertEqual(step("unsubscribed").count, 1)
        XCTAssertEqual(camera.activeSubscriptions, 0, "Unsubscribe freed the subscription")
        // zeep's digests (stamped 5 h ahead) verified by the camera; a wrong password refused.
        XCTAssertTrue(camera.operations("GetServices").contains { $0.authorized == true })
        XCTAssertTrue(camera.operations("PullMessages").allSatisfy { $0.authorized == true })
        let refused = try XCTUnwrap(step("wrong-password").first, child.log)
        XCTAssertEqual(refused["refused"] as? Bool, true)
        XCTAssertTrue("\(refused)".contains("NotAuthorized") || "\(refused)".contains("Sender not Authorized"), "\(refused)")
    }

    /// Our own client's pieces against the same camera, in-process: digests on a camera 5 h
    /// ahead are accepted, ones on our clock refused.
    func testOurDigestNeedsTheCameraClock() throws {
        var quirks = OnvifTestCamera.Quirks()
        quirks.clockOffsetSeconds = 5 * 3600
        let camera = OnvifTestCamera(quirks: quirks)
        try camera.start()
        defer { camera.stop() }
        func post(_ call: OnvifCall, offset: Int64) throws -> (Int, Data) {
            let token = UsernameToken.fresh(username: "admin", password: "camera-secret",
                                            nowWallNs: Int64(Date().timeIntervalSince1970 * 1e9), cameraOffsetNs: offset)
            var request = URLRequest(url: URL(string: camera.deviceURL)!)
            request.httpMethod = "POST"
            request.httpBody = Data(OnvifRequest.envelope(call, token: token).utf8)
            request.setValue("application/soap+xml; charset=utf-8", forHTTPHeaderField: "Content-Type")
            let done = DispatchSemaphore(value: 0)
            let reply = Reply()
            URLSession.shared.dataTask(with: request) { data, response, _ in
                reply.value.withLock { $0 = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
                done.signal()
            }.resume()
            done.wait()
            return reply.value.withLock { $0 }
        }
        let (status, body) = try post(OnvifRequest.getSystemDateAndTime, offset: 0)
        XCTAssertEqual(status, 200)
        let offset = try OnvifResponse.systemTime(body) - Int64(Date().timeIntervalSince1970 * 1e9)
        XCTAssertEqual(Double(offset) / 1e9, 5 * 3600, accuracy: 2)
        let (stale, staleBody) = try post(OnvifRequest.getCapabilities, offset: 0)
        XCTAssertEqual(stale, 400)
        XCTAssertEqual(OnvifResponse.faultIfAny(staleBody)?.isNotAuthorized, true)
        let (ok, okBody) = try post(OnvifRequest.getCapabilities, offset: offset)
        XCTAssertEqual(ok, 200)
        XCTAssertEqual(try OnvifResponse.eventsAddress(capabilities: okBody), "http://127.0.0.1:\(camera.port)/onvif/event_service")
    }
}

/// An HTTP status and body, filled in on URLSession's thread.
private final class Reply: Sendable {
    let value = Locked<(Int, Data)>((0, Data()))
}
