@testable import BrokerCore
import Foundation
import HomeAssistantDiscovery
import Vocabulary
import XCTest

/// What one decision shows on each lock's "last decision" sensor.
final class LockDecisionStateTests: XCTestCase {
    let snapshot = CaptureSnapshot(camera: "cam-a", captureTime: MonotonicInstant(nanoseconds: 1),
                                   lockSessions: [.init(lock: "DC006", session: SessionID(2)), .init(lock: "DC001", session: SessionID(1))],
                                   motion: nil)
    // 2026-12-02T01:02:03.250Z
    let time: Int64 = 1_796_173_323_250_000_000

    private func decision(_ kind: DecisionKind, member: String?, verdicts: [LockVerdict]) -> Decision {
        Decision(kind: kind, txn: DetectingTxn(7), camera: "cam-a", snapshot: snapshot, faceIndex: 0, box: nil,
                 member: member.map { MemberRef(id: MemberID(1), name: $0) }, distance: 0.3,
                 unlockedLocks: verdicts.filter { $0.status == .unlocked }.map(\.lock), verdicts: verdicts, reason: "why")
    }

    func testEachLockShowsItsOwnVerdict() {
        let d = decision(.unlock, member: "obama", verdicts: [
            LockVerdict(lock: "DC006", status: .unlocked), LockVerdict(lock: "DC001", status: .outsideZone),
        ])
        let states = LockDecisionState.perLock(d, timeWallNs: time)
        XCTAssertEqual(states.map(\.lock), ["DC001", "DC006"])
        XCTAssertEqual(states.map(\.state.kind), [.outsideZone, .unlock])
        XCTAssertEqual(states[1].state.member, "obama")
        XCTAssertEqual(states[1].state.camera, "cam-a")
    }

    func testVerdictStatusesMapToTheAuditKinds() {
        let statuses: [(LockVerdict.Status, DecisionKind)] = [
            (.noGrant, .noGrant), (.alreadyUnlocked(SessionID(1)), .alreadyUnlocked), (.unlockInFlight(SessionID(1)), .alreadyUnlocked),
            (.tooSoon(since: MonotonicInstant(nanoseconds: 0)), .tooSoon), (.awaitingEvidence, .awaitingConfirmation),
            (.policyDenied(.livenessFailed), .livenessFailed), (.policyDenied(.notConfirmed), .notConfirmed),
            (.sessionForgotten(SessionID(1)), .sessionForgotten),
        ]
        for (status, kind) in statuses {
            let d = decision(.noGrant, member: "biden", verdicts: [LockVerdict(lock: "DC001", status: status)])
            XCTAssertEqual(LockDecisionState.perLock(d, timeWallNs: time).map(\.state.kind), [kind], "\(status)")
        }
    }

    func testADecisionWithoutVerdictsShowsAtEveryTriggeredLockAndOneWithoutSnapshotNowhere() {
        let stranger = decision(.unknownFace, member: nil, verdicts: [])
        let states = LockDecisionState.perLock(stranger, timeWallNs: time)
        XCTAssertEqual(states.map(\.lock), ["DC001", "DC006"])
        XCTAssertEqual(Set(states.map(\.state.kind)), [.unknownFace])
        var unknownTxn = stranger
        unknownTxn.snapshot = nil
        XCTAssertTrue(LockDecisionState.perLock(unknownTxn, timeWallNs: time).isEmpty)
    }

    func testThePayloadCarriesKindMemberCameraUTCTimeAndReasonWithNullForTheUnknown() throws {
        let known = LockDecisionState(kind: .unlock, member: "obama", camera: "cam-a", timeWallNs: time, reason: "DC006: unlocked")
        XCTAssertEqual(known.payload,
                       #"{"camera":"cam-a","kind":"unlock","member":"obama","reason":"DC006: unlocked","time":"2026-12-02T01:02:03.250Z"}"#)
        let stranger = LockDecisionState(kind: .unknownFace, member: nil, camera: nil, timeWallNs: time, reason: "no match")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stranger.payload.utf8)) as? [String: Any])
        XCTAssertTrue(object["member"] is NSNull, stranger.payload)
        XCTAssertTrue(object["camera"] is NSNull, stranger.payload)
        XCTAssertEqual(object["kind"] as? String, "unknown_face")
    }
}
