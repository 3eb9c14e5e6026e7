import BrokerCore
import Foundation
import OnvifTestCamera
import TestSupport
import XCTest

/// S11 with the motion trigger from the camera itself (facegate-onvif following an
/// OnvifTestCamera) and from Frigate on MQTT, and what happens when the camera misbehaves:
/// a clock hours off, a restart, a wrong password, hostile responses, faults for Renew and
/// subscriptions that die early. Real processes throughout; the camera is in the test.
final class CameraMotionScenarioTests: ScenarioCase {
    private func onvifPipeline(_ camera: OnvifTestCamera, recognizers: [String] = ["r1"],
                               _ configure: (inout PipelineOptions.OnvifSettings) -> Void = { _ in }) throws -> Pipeline {
        var settings = PipelineOptions.OnvifSettings(url: camera.deviceURL)
        configure(&settings)
        return try makePipeline {
            $0.motionLocks = ["DC001"]
            $0.motionSource = .onvif(settings)
            $0.recognizers = recognizers
        }
    }

    private func waitSubscribed(_ p: Pipeline, count: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"subscribed to camera events\"", count: count, timeout: 60),
                      "subscription \(count) never came\n\(p.dump())", file: file, line: line)
    }

    // MARK: ONVIF

    /// S11: the camera's cell motion detector on → obama shown → DC001 (a motion lock) unlocks;
    /// motion off → obama shown again → no frame admitted, nothing more unlocked. SIGTERM → Unsubscribe.
    func testS11OnvifMotionUnlocksTheMotionLocks() throws {
        let camera = OnvifTestCamera()
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera)
        try p.startOnvif()
        waitSubscribed(p)
        p.begin()
        camera.setMotion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif"), p.dump())
        let on = try XCTUnwrap(p.brokerLines("msg=\"motion true\"", "source=onvif").first)
        XCTAssertTrue(on.contains("detail=\"tns1:RuleEngine/CellMotionDetector/Motion IsMotion\""), String(on))
        XCTAssertTrue(on.contains("camera_time=20"), "the camera's own time is logged: \(on)")
        p.at(1)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        let unlock = try XCTUnwrap(audit(p).first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC001"])
        let snapshot = try XCTUnwrap(try unlock.snapshot())
        XCTAssertEqual(snapshot.lockSessions, [])
        XCTAssertEqual(snapshot.motion?.locks, ["DC001"])

        camera.setMotion(false)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion false\"", "source=onvif", "change=closed"), p.dump())
        let admitted = framesAdmitted(p), received = framesReceived(p), rows = audit(p).count
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: received + 4), p.dump())
        assertSettledUnlocks(p, ["DC001": 1])
        XCTAssertEqual(framesAdmitted(p), admitted, "motion off: frames are not recognized")
        XCTAssertEqual(audit(p).count, rows)

        XCTAssertEqual(p.onvif!.terminate(grace: 15), 0)
        XCTAssertEqual(camera.operations("Unsubscribe").count, 1, "SIGTERM unsubscribes")
        XCTAssertEqual(camera.activeSubscriptions, 0)
    }

    /// The camera's clock 5 hours ahead (and it accepts a Created only within 10 s of its own
    /// clock): facegate-onvif stamps its digests on the camera's clock and is let in. The
    /// process killed while motion is on → the broker closes the motion session.
    func testOnvifCameraFiveHoursAheadStillAuthenticates() throws {
        var quirks = OnvifTestCamera.Quirks()
        quirks.clockOffsetSeconds = 5 * 3600
        quirks.createdTolerance = 10
        let camera = OnvifTestCamera(quirks: quirks)
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera, recognizers: [])
        try p.startOnvif()
        waitSubscribed(p)
        let warning = try XCTUnwrap(p.onvif!.lines(containing: "msg=\"camera clock is off;").first, p.dump())
        let offset = try XCTUnwrap(Double(warning.split(separator: " ").first { $0.hasPrefix("clock_offset_s=") }?.dropFirst(15) ?? ""))
        XCTAssertEqual(offset, 18000, accuracy: 2)
        XCTAssertTrue(camera.requests.filter { $0.operation != "GetSystemDateAndTime" }.allSatisfy { $0.authorized == true },
                      "\(camera.requests.filter { $0.authorized == false })")
        camera.setMotion(true, source: .motionAlarm)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif", "VideoSource/MotionAlarm"), p.dump())

        p.signal(.onvif, SIGKILL)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"onvif link lost; motion session closed\""), p.dump())
        XCTAssertEqual(p.brokerStatus().flatMap { $0["open_sessions"] as? [Any] }?.count, 0)
        // Started again: subscribes anew, and the camera's Initialized state opens motion again.
        try p.restart(.onvif)
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"subscribed to camera events\""), p.dump())
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif", count: 2), p.dump())
        // A new broker starts with motion off; facegate-onvif tells it, on reconnecting, that
        // the live subscription still says motion.
        try p.restart(.broker)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif"), p.dump())
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"broker connection lost; the broker keeps this camera's motion closed until it is back\""), p.dump())
    }

    /// The camera restarts mid-session: motion closed at once (fail-secure), subscribed again
    /// when it is back, and its current state (still motion) opens a new session.
    func testOnvifCameraRestartClosesMotionAndResubscribes() throws {
        let camera = OnvifTestCamera()
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera, recognizers: [])
        try p.startOnvif()
        waitSubscribed(p)
        camera.setMotion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif"), p.dump())
        camera.stop()
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion false\"", "source=onvif", "detail=\"camera lost\"", "change=closed"), p.dump())
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"camera refused or unreachable; motion off, retrying with backoff:"), p.dump())
        XCTAssertEqual(p.brokerStatus().flatMap { $0["open_sessions"] as? [Any] }?.count, 0, "no session open while the camera is away")
        Thread.sleep(forTimeInterval: 1.5)
        try camera.start()
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"camera answering again; subscribed\"", timeout: 60), p.dump())
        waitSubscribed(p, count: 2)
        XCTAssertEqual(p.onvif!.lines(containing: "Unsubscribe failed").count, 0, "no Unsubscribe to a camera that is gone")
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif", count: 2), p.dump())
        let sessions = p.brokerLines("msg=\"motion true\"", "source=onvif").map { $0.contains("change=\"opened(") }
        XCTAssertEqual(sessions, [true, true], "the second motion is a new session")
        XCTAssertTrue(p.isRunning(.onvif))
    }

    /// A wrong password: a clear line naming NotAuthorized once, retries with backoff, no
    /// crash; the right password on the camera → subscribed.
    func testOnvifWrongPasswordIsNamedAndRetried() throws {
        let camera = OnvifTestCamera(password: "camera-secret")
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera, recognizers: []) { $0.password = "not-the-password" }
        try p.startOnvif()
        XCTAssertTrue(p.onvif!.waitForLine("ter:NotAuthorized", "the camera refused the username/password"), p.dump())
        XCTAssertTrue(waitUntil(timeout: 30) { camera.operations("GetCapabilities").filter { $0.authorized == false }.count >= 3 },
                      "retries: \(camera.operations("GetCapabilities"))")
        XCTAssertTrue(p.isRunning(.onvif))
        XCTAssertEqual(p.onvif!.lines(containing: "level=error", "camera refused or unreachable").count, 1,
                       "one error line for the streak, the retries at debug\n\(p.onvif!.log)")
        XCTAssertEqual(camera.operations("GetServices").count, 0, "refused credentials are not asked again elsewhere")
        camera.password = "not-the-password"
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"camera answering again; subscribed\"", timeout: 60), p.dump())
    }

    /// Malformed XML, a 10 MB body announced, 10 MB chunked, a body that never ends: each
    /// refused with its own line, the camera subscribed to again, the process unharmed.
    func testOnvifHostileResponsesAreRefusedAndRetried() throws {
        let camera = OnvifTestCamera()
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera, recognizers: [])
        try p.startOnvif()
        waitSubscribed(p)
        let cases: [(OnvifTestCamera.Sabotage, String)] = [
            (.malformedXML, "PullMessages to http://127.0.0.1:\(camera.port)/onvif/subscription/1: malformed XML at line 1"),
            (.hugeAnnounced(bytes: 10 << 20), "response of 10485760 bytes refused unread: over the 1048576-byte limit"),
            (.hugeChunked(bytes: 10 << 20), "response refused after 1048576 bytes: over the limit"),
            (.neverEnding, "no complete response within 3 s"),
        ]
        for (index, (sabotage, line)) in cases.enumerated() {
            camera.sabotage(sabotage)
            XCTAssertTrue(p.onvif!.waitForLine(line, timeout: 30), "\(sabotage)\n\(p.dump())")
            waitSubscribed(p, count: index + 2)
            XCTAssertTrue(p.isRunning(.onvif))
        }
        // Each refusal is its own first line (a different reason each time).
        XCTAssertEqual(p.onvif!.lines(containing: "level=error", "camera refused or unreachable").count, 4, p.onvif!.log)
        // The subscriptions behind the garbage were freed: cameras hold only a few.
        XCTAssertEqual(camera.operations("Unsubscribe").count, 4)
        XCTAssertEqual(camera.activeSubscriptions, 1)
        camera.setMotion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif"), p.dump())
    }

    /// A camera that faults on Renew, then one whose subscriptions die long before their
    /// announced end: each time motion goes off and facegate-onvif subscribes again.
    func testOnvifRenewFaultAndEarlyExpiryResubscribe() throws {
        var quirks = OnvifTestCamera.Quirks()
        quirks.faultOnRenew = true
        let camera = OnvifTestCamera(quirks: quirks)
        try camera.start()
        defer { camera.stop() }
        let p = try onvifPipeline(camera, recognizers: []) { $0.subscriptionSeconds = 10 }
        try p.startOnvif()
        waitSubscribed(p)
        camera.setMotion(true)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif"), p.dump())
        XCTAssertTrue(p.onvif!.waitForLine("Renew refused, subscribing again", "ter:Action", timeout: 30), p.dump())
        waitSubscribed(p, count: 2)
        XCTAssertGreaterThanOrEqual(camera.operations("Renew").count, 1)
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion false\"", "source=onvif"), p.dump())
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=onvif", count: 2), "the new subscription's Initialized state\n\(p.dump())")

        var early = camera.quirks
        early.faultOnRenew = false
        early.subscriptionDiesAfter = 2
        camera.quirks = early
        XCTAssertTrue(p.onvif!.waitForLine("wsrf-rw:ResourceUnknownFault", "is unknown or has expired", timeout: 30), p.dump())
        XCTAssertTrue(p.onvif!.waitForLine("msg=\"subscribed to camera events\"", count: 4, timeout: 30), p.dump())
        XCTAssertTrue(p.isRunning(.onvif))
    }

    // MARK: Frigate

    /// S11 with Frigate: a person event on frigate/events → obama shown → DC001 unlocks; the
    /// event's end → obama shown again → nothing admitted.
    func testS11FrigatePersonUnlocksTheMotionLocks() throws {
        let p = try makePipeline { $0.motionLocks = ["DC001"]; $0.motionSource = .frigate() }
        try p.frigate("new", id: "1700000000.1-abc")
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "source=frigate", "event=1700000000.1-abc"), p.dump())
        p.at(1)
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock)
        assertSettledUnlocks(p, ["DC001": 1])
        let unlock = try XCTUnwrap(audit(p).first { $0.kind == .unlock })
        XCTAssertEqual(unlock.unlockedLocks, ["DC001"])
        XCTAssertEqual(try unlock.snapshot()?.motion?.locks, ["DC001"])

        try p.frigate("end", id: "1700000000.1-abc")
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion false\"", "source=frigate", "change=closed"), p.dump())
        let admitted = framesAdmitted(p), received = framesReceived(p), rows = audit(p).count
        try p.show("obama2.jpg")
        XCTAssertTrue(waitForFrames(p, atLeast: received + 4), p.dump())
        assertSettledUnlocks(p, ["DC001": 1])
        XCTAssertEqual(framesAdmitted(p), admitted)
        XCTAssertEqual(audit(p).count, rows)
    }

    /// Labels, zones, overlapping events, a stale event, and a publisher that is not Frigate.
    func testFrigateEventsOverlapLabelsZonesAndStaleness() throws {
        let p = try makePipeline {
            $0.motionLocks = ["DC001"]
            $0.motionSource = .frigate(labels: ["person"], zones: ["porch"])
            $0.motionMax = 6
            $0.recognizers = []
        }
        func motionLines(_ state: Bool) -> Int { p.brokerLines("msg=\"motion \(state)\"", "source=frigate").count }
        try p.frigate("new", id: "car-1", label: "car", zones: ["porch"])
        try p.frigate("new", id: "p-0", zones: ["driveway"])
        XCTAssertTrue(p.broker!.waitForLine("event=p-0", "msg=\"frigate event changes no motion\""), p.dump())
        XCTAssertEqual(motionLines(true), 0, "a car, and a person outside the zone, are no motion")
        try p.frigate("new", id: "a", zones: ["porch"])
        try p.frigate("new", id: "b", zones: ["porch", "driveway"])
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "event=b"), p.dump())
        try p.frigate("end", id: "a", zones: ["porch"])
        XCTAssertTrue(p.broker!.waitForLine("event=a", "type=end", "open_events=1"), p.dump())
        XCTAssertEqual(motionLines(false), 0, "b is still on the porch")
        try p.frigate("update", id: "b", zones: ["driveway"])
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion false\"", "event=b", "change=closed"), p.dump())

        // Someone else publishing Frigate's topic is refused by mosquitto (the ACL).
        try? p.mosquitto.publish(topic: "frigate/events", text: #"{"type":"new","after":{"id":"x","camera":"front_door","label":"person","current_zones":["porch"]}}"#,
                                 username: "nvr")
        // A person whose end never comes: stale after motion_max (3 s real), motion closed.
        try p.frigate("new", id: "lost", zones: ["porch"])
        XCTAssertTrue(p.broker!.waitForLine("msg=\"motion true\"", "event=lost"), p.dump())
        XCTAssertTrue(p.broker!.waitForLine("msg=\"frigate events went stale without an end; motion closed\"", timeout: 20), p.dump())
        XCTAssertEqual(p.brokerLines("event=x").count, 0, "the nvr user's fake Frigate event never reached the broker")
    }
}
