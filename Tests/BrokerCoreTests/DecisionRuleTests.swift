import BrokerCore
import Vocabulary
import XCTest

/// Each decision rule on its own, beyond the scenarios.
final class DecisionRuleTests: XCTestCase {
    typealias C = Cast

    private func admit(_ e: inout DecisionEngine, at t: Double) throws -> DetectingTxn {
        try XCTUnwrap(e.capture(at: t).txn, "frame at \(t) not admitted")
    }

    // MARK: Freshness

    func testDecisionExactlyAtMaxDecisionAgeIsStillFresh() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, decidedAt: 1 + C.maxDecisionAge.seconds))
        XCTAssertEqual(d.map(\.kind), [.unlock])
        var e2 = C.engine()
        e2.touch(C.dc006, 0)
        let d2 = try XCTUnwrap(e2.show([C.face(C.obamaShown)], capturedAt: 1, decidedAt: 1 + C.maxDecisionAge.seconds + 0.001))
        XCTAssertEqual(d2.map(\.kind), [.stale])
    }

    func testStaleResultDoesNotUseUpTheSession() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let old = try admit(&e, at: 1)
        let fresh = try admit(&e, at: 9.5)
        XCTAssertEqual(e.resultArrived(txn: old, faces: [C.face(C.obamaShown)], now: at(10), gallery: C.gallery).map(\.kind), [.stale])
        XCTAssertEqual(e.resultArrived(txn: fresh, faces: [C.face(C.obamaShown)], now: at(10), gallery: C.gallery).map(\.kind), [.unlock])
    }

    func testFrameAlreadyTooOldOnArrivalIsNotAdmitted() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(e.frameCaptured(camera: C.camA, captureTime: at(1), imageSize: C.imageSize, now: at(9.5)),
                       .skip(.tooOld))
    }

    func testCaptureNotBeforeNowIsNotAdmitted() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(e.frameCaptured(camera: C.camA, captureTime: at(3), imageSize: C.imageSize, now: at(2)),
                       .skip(.captureInFuture))
        XCTAssertEqual(e.frameCaptured(camera: C.camA, captureTime: at(2), imageSize: C.imageSize, now: at(2)),
                       .skip(.captureInFuture))
        XCTAssertEqual(e.counters.framesSkipped[.captureInFuture], 2)
    }

    func testUnknownCameraIsNotAdmitted() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        XCTAssertEqual(e.capture(at: 1, camera: "cam-z"), .skip(.unknownCamera))
    }

    // MARK: Txns

    func testUnknownTxnIsAuditedAndNeverUnlocks() {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let bogus = DetectingTxn(UInt64(0x5eed) << 32 | 999)
        let d = e.resultArrived(txn: bogus, faces: [C.face(C.obamaShown)], now: at(1), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.unknownTxn])
        XCTAssertNil(d[0].snapshot)
        XCTAssertNil(d[0].camera)
        XCTAssertEqual(d[0].member?.name, "obama")
        XCTAssertEqual(d[0].unlockedLocks, [])
        XCTAssertTrue(d[0].reason.contains("not pending"), d[0].reason)
    }

    func testTxnFromAnotherRunIsNamedAsSuch() throws {
        var before = C.engine(boot: 0xaaaa_0001)
        before.touch(C.dc006, 0)
        let txn = try admit(&before, at: 1)
        var after = C.engine(boot: 0xbbbb_0002) // broker restarted
        after.touch(C.dc006, 0)
        _ = try admit(&after, at: 1)
        let d = after.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.5), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.unknownTxn])
        XCTAssertTrue(d[0].reason.contains("not issued by this broker run"), d[0].reason)
    }

    func testSecondResultForTheSameTxnIsUnknown() throws {
        var e = C.engine(C.configuration(confirmFrames: 2))
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 1)
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.2), gallery: C.gallery).map(\.kind),
                       [.awaitingConfirmation])
        // Replaying the same result must not count as the second confirming frame.
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.3), gallery: C.gallery).map(\.kind),
                       [.unknownTxn])
        XCTAssertEqual(e.counters.unlocks, 0)
    }

    func testResultWithoutFacesDecidesNothingButConsumesTheTxn() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 1)
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [], now: at(1.2), gallery: C.gallery), [])
        XCTAssertEqual(e.pendingTxnCount, 0)
        XCTAssertEqual(e.counters.results, 1)
    }

    func testDiscardedTxnCannotBeAnswered() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 1)
        XCTAssertTrue(e.discardTxn(txn))
        XCTAssertFalse(e.discardTxn(txn))
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.2), gallery: C.gallery).map(\.kind),
                       [.unknownTxn])
        XCTAssertEqual(e.counters.txnsDiscarded, 1)
    }

    func testRecognizerErrorIsAuditedOnceAndConsumesTheTxn() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 1)
        let d = try XCTUnwrap(e.recognizerFailed(txn: txn, reason: "image decode failed", now: at(1.2)))
        XCTAssertEqual(d.kind, .recognizerError)
        XCTAssertEqual(d.camera, C.camA)
        XCTAssertEqual(d.snapshot?.lockSessions.map(\.lock), [C.dc006])
        XCTAssertNil(d.faceIndex)
        XCTAssertEqual(d.unlockedLocks, [])
        XCTAssertEqual(d.reason, "recognizer could not process the frame: image decode failed")
        XCTAssertNil(e.recognizerFailed(txn: txn, reason: "again", now: at(1.3)))
        XCTAssertEqual(e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.4), gallery: C.gallery).map(\.kind),
                       [.unknownTxn], "a late result after the error cannot unlock")
        XCTAssertEqual(e.counters.decisions[.recognizerError], 1)
    }

    func testTxnTableEvictsTheOldestBeyondCapacity() throws {
        var e = C.engine(C.configuration(txnCapacity: 3))
        e.touch(C.dc006, 0)
        let txns = try (0..<5).map { try admit(&e, at: 1 + Double($0) * 0.1) }
        XCTAssertEqual(e.pendingTxnCount, 3)
        XCTAssertEqual(e.counters.txnsEvicted, 2)
        XCTAssertEqual(e.resultArrived(txn: txns[0], faces: [C.face(C.obamaShown)], now: at(2), gallery: C.gallery).map(\.kind),
                       [.unknownTxn])
        XCTAssertEqual(e.resultArrived(txn: txns[4], faces: [C.face(C.obamaShown)], now: at(2), gallery: C.gallery).map(\.kind),
                       [.unlock])
    }

    func testTxnExpiresAfterTTL() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        _ = try admit(&e, at: 1)
        XCTAssertEqual(e.configuration.txnTTL, .seconds(10))
        e.housekeeping(now: at(11.01))
        XCTAssertEqual(e.pendingTxnCount, 1)
        e.housekeeping(now: at(11.02))
        XCTAssertEqual(e.pendingTxnCount, 0)
        XCTAssertEqual(e.counters.txnsExpired, 1)
    }

    func testTxnsAreUniqueAndCarryTheBootPrefix() throws {
        var e = C.engine(boot: 0x1234_5678)
        e.touch(C.dc006, 0)
        var seen = Set<DetectingTxn>()
        for i in 0..<200 {
            let txn = try admit(&e, at: 1 + Double(i) * 0.01)
            XCTAssertEqual(txn.bootPrefix, BootPrefix(0x1234_5678))
            XCTAssertTrue(seen.insert(txn).inserted)
            _ = e.discardTxn(txn)
        }
        let session = try XCTUnwrap(e.snapshot(camera: C.camA, at: at(1))?.lockSessions.first?.session)
        XCTAssertEqual(session.bootPrefix, BootPrefix(0x1234_5678))
    }

    // MARK: Snapshot is the only source of locks

    func testStoredSnapshotIsUsedNotTheLiveTimeline() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        let txn = try admit(&e, at: 1)
        // DC006 is touched after capture and before the result: not in the frame's context.
        e.touch(C.dc006, 1.5)
        let d = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(2), gallery: C.gallery)
        XCTAssertEqual(d[0].unlockedLocks, [C.dc001])
        XCTAssertEqual(d[0].verdicts.map(\.lock), [C.dc001])
    }

    func testOnlyTheCamerasOwnLocksEnterItsSnapshot() throws {
        let config = EngineConfiguration(
            locks: [.init(id: C.dc001, occupancyMax: .seconds(12)), .init(id: "BACK", occupancyMax: .seconds(12))],
            cameras: [.init(id: C.camA, locks: [C.dc001]), .init(id: "cam-b", locks: ["BACK"])],
            maxDecisionAge: .seconds(8))
        var e = try DecisionEngine(configuration: config, bootPrefix: BootPrefix(1))
        let obamaEverywhere = Gallery(members: [.init(id: C.obamaID, name: "obama", descriptors: [C.obamaEnrolled],
                                                      grants: [C.dc001, "BACK"])])
        e.touch("BACK", 0)
        XCTAssertEqual(e.capture(at: 1), .skip(.nothingTriggered), "BACK is not at cam-a's door")
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, gallery: obamaEverywhere, camera: "cam-b"))
        XCTAssertEqual(d[0].unlockedLocks, ["BACK"])
    }

    // MARK: Gallery changes

    func testGrantRevokedBeforeTheResultDenies() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 1)
        let revoked = Gallery(members: [.init(id: C.obamaID, name: "obama", descriptors: [C.obamaEnrolled], grants: [C.dc001]),
                                        C.biden])
        let d = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.3), gallery: revoked)
        XCTAssertEqual(d.map(\.kind), [.noGrant])
    }

    func testEmptyGalleryMeansUnknownFace() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1, gallery: .empty))
        XCTAssertEqual(d.map(\.kind), [.unknownFace])
        XCTAssertTrue(d[0].reason.contains("no face descriptors"), d[0].reason)
    }

    // MARK: Zones

    func testFaceCentreDecidesTheZoneNotTheBox() throws {
        let zones = [C.dc006: try NormalizedRect(minX: 0.5, minY: 0, maxX: 1, maxY: 1)]
        var e = C.engine(C.configuration(zones: zones))
        e.touch(C.dc006, 0)
        // Box reaches well into the zone, centre just left of it.
        let box = FaceBox(left: 300, top: 100, right: 698, bottom: 300) // centre x = 499 of 1000
        let d = try XCTUnwrap(e.show([DetectedFace(box: box, descriptor: C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d.map(\.kind), [.outsideZone])
    }

    func testLockWithoutZoneAcceptsAnyPosition() throws {
        let zones = [C.dc001: try NormalizedRect(minX: 0, minY: 0, maxX: 0.2, maxY: 0.2)]
        var e = C.engine(C.configuration(zones: zones))
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown, x: 0.95, y: 0.95)], capturedAt: 1))
        XCTAssertEqual(d[0].unlockedLocks, [C.dc006])
    }

    func testZonedLockDeniesWhenTheImageSizeIsUnusable() throws {
        let zones = [C.dc006: try NormalizedRect(minX: 0, minY: 0, maxX: 1, maxY: 1)]
        var e = C.engine(C.configuration(zones: zones))
        e.touch(C.dc006, 0)
        guard case let .detect(txn, _) = e.frameCaptured(camera: C.camA, captureTime: at(1),
                                                        imageSize: ImageSize(width: 0, height: 0), now: at(1.1))
        else { return XCTFail() }
        let d = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(1.2), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.outsideZone])
    }

    // MARK: Confirmation

    func testConfirmFramesNeedsNMatchingFramesInTheSession() throws {
        var e = C.engine(C.configuration(confirmFrames: 3))
        e.touch(C.dc006, 0)
        let d1 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        let d2 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.1))
        let d3 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.2))
        let d4 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.3))
        XCTAssertEqual([d1, d2, d3, d4].map { $0[0].kind }, [.awaitingConfirmation, .awaitingConfirmation, .unlock, .alreadyUnlocked])
        XCTAssertEqual(d1[0].verdicts.map(\.lock), [C.dc006])
        XCTAssertTrue(d1[0].reason.contains("1 of 3 confirming frames"), d1[0].reason)
        XCTAssertTrue(d2[0].reason.contains("2 of 3 confirming frames"), d2[0].reason)
        // The unlock names the frames that confirmed it.
        XCTAssertTrue(d3[0].reason.contains("confirmed by 3 frames"), d3[0].reason)
        for d in [d1, d2, d3] { XCTAssertTrue(d3[0].reason.contains(d[0].txn.description), d3[0].reason) }
    }

    func testConfirmationCountsPerMemberAndIgnoresOtherFaces() throws {
        var e = C.engine(C.configuration(confirmFrames: 2))
        e.touch(C.dc001, 0)
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.bidenShown)], capturedAt: 1))[0].kind, .awaitingConfirmation)
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.strangerShown)], capturedAt: 1.1))[0].kind, .unknownFace)
        // obama's first frame does not complete biden's count.
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1.2))[0].kind, .awaitingConfirmation)
        let d = try XCTUnwrap(e.show([C.face(C.bidenShown)], capturedAt: 1.3))
        XCTAssertEqual(d[0].kind, .unlock)
        XCTAssertEqual(d[0].member?.name, "biden")
    }

    func testTwoFacesOfOneMemberInOneFrameCountOnce() throws {
        var e = C.engine(C.configuration(confirmFrames: 2))
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown, x: 0.3), C.face(C.obamaShown, x: 0.7)], capturedAt: 1))
        XCTAssertEqual(d.map(\.kind), [.awaitingConfirmation, .awaitingConfirmation])
        XCTAssertEqual(e.counters.unlocks, 0)
    }

    func testConfirmationDoesNotCarryOverToANewSession() throws {
        var e = C.engine(C.configuration(confirmFrames: 2))
        e.touch(C.dc006, 0)
        _ = e.show([C.face(C.obamaShown)], capturedAt: 1)
        e.release(C.dc006, 2)
        e.touch(C.dc006, 3)
        let d = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 4))
        XCTAssertEqual(d[0].kind, .awaitingConfirmation)
        XCTAssertTrue(d[0].reason.contains("1 of 2 confirming frames"), d[0].reason)
    }

    // MARK: Sessions and motion together

    func testMotionAndTouchOnTheSameLockUnlockOncePerTouch() throws {
        var e = C.engine(C.configuration(motion: .init(locks: [C.dc001], motionMax: .seconds(30))))
        e.motion(camera: C.camA, active: true, at: at(0))
        e.touch(C.dc001, 0.5)
        let d1 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d1[0].unlockedLocks, [C.dc001])
        // Motion stops and starts again around the person while the touch session lasts.
        e.motion(camera: C.camA, active: false, at: at(2))
        e.motion(camera: C.camA, active: true, at: at(3))
        let d2 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 4))
        XCTAssertEqual(d2[0].kind, .alreadyUnlocked)
        // The touch ends; the lingering motion session was seen with it and cannot reopen.
        e.release(C.dc001, 5)
        let d3 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 6))
        XCTAssertEqual(d3[0].kind, .alreadyUnlocked)
        // A new touch is a new intent: it may unlock again, motion or not.
        e.touch(C.dc001, 7)
        let d4 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 8))
        XCTAssertEqual(d4[0].unlockedLocks, [C.dc001])
        XCTAssertEqual(e.counters.unlocks, 2)
    }

    func testMotionOnlyUnlocksOncePerMotionSession() throws {
        var e = C.engine(C.configuration(motion: .init(locks: [C.dc001, C.dc006], motionMax: .seconds(30))))
        e.motion(camera: C.camA, active: true, at: at(0))
        let d1 = try XCTUnwrap(e.show([C.face(C.bidenShown)], capturedAt: 1))
        XCTAssertEqual(d1[0].unlockedLocks, [C.dc001])
        // obama may still open DC006 in the same motion session: the record is per lock.
        let d2 = try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 2))
        XCTAssertEqual(d2[0].unlockedLocks, [C.dc006])
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 3))[0].kind, .alreadyUnlocked)
        e.motion(camera: C.camA, active: false, at: at(4))
        e.motion(camera: C.camA, active: true, at: at(5))
        XCTAssertEqual(try XCTUnwrap(e.show([C.face(C.obamaShown)], capturedAt: 6))[0].unlockedLocks, [C.dc001, C.dc006])
    }

    func testSessionForgottenDeniesFailSecure() throws {
        var e = C.engine(C.configuration(sessionHistoryLimit: 1))
        e.touch(C.dc006, 0)
        let txn = try admit(&e, at: 0.5)
        // The lock flaps: its first session is pushed out of the (tiny) history.
        e.release(C.dc006, 0.6)
        e.touch(C.dc006, 0.7)
        let d = e.resultArrived(txn: txn, faces: [C.face(C.obamaShown)], now: at(0.8), gallery: C.gallery)
        XCTAssertEqual(d.map(\.kind), [.sessionForgotten])
        XCTAssertEqual(d[0].unlockedLocks, [])
    }

    func testNoGrantOnOneLockDoesNotStopTheOther() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.bidenShown)], capturedAt: 1))
        XCTAssertEqual(d[0].kind, .unlock)
        XCTAssertEqual(d[0].unlockedLocks, [C.dc001])
        XCTAssertEqual(d[0].verdicts.last, LockVerdict(lock: C.dc006, status: .noGrant))
        XCTAssertTrue(d[0].reason.contains("unlocked DC001; DC006: no grant"), d[0].reason)
    }

    func testTwoMembersInOneFrameEachOpenTheirOwnLocks() throws {
        var e = C.engine()
        e.touch(C.dc001, 0)
        e.touch(C.dc006, 0)
        let d = try XCTUnwrap(e.show([C.face(C.bidenShown), C.face(C.obamaShown)], capturedAt: 1))
        XCTAssertEqual(d.map(\.unlockedLocks), [[C.dc001], [C.dc006]])
        // Biden's DC001 command is still in flight when obama's face is judged: not claimed twice.
        XCTAssertEqual(d[1].verdicts.first, LockVerdict(lock: C.dc001, status: .unlockInFlight(d[0].snapshot!.lockSessions[0].session)))
    }

    func testCountersTallyDecisions() throws {
        var e = C.engine()
        e.touch(C.dc006, 0)
        _ = e.show([C.face(C.obamaShown), C.face(C.strangerShown)], capturedAt: 1)
        XCTAssertEqual(e.counters.decisions[.unlock], 1)
        XCTAssertEqual(e.counters.decisions[.unknownFace], 1)
        XCTAssertEqual(e.counters.framesAdmitted, 1)
        XCTAssertEqual(e.counters.unlocks, 1)
    }
}
