@testable import BrokerCore
import Foundation
import Vocabulary
import XCTest

/// Time, ids, txn table, zones, descriptors, configuration: the small value types.
final class ValueTypeTests: XCTestCase {
    func testInstantArithmeticSaturates() {
        let t = MonotonicInstant(nanoseconds: 5)
        XCTAssertEqual((t - TimeSpan(nanoseconds: 10)).nanoseconds, 0)
        XCTAssertEqual((MonotonicInstant(nanoseconds: .max - 1) + .seconds(1)).nanoseconds, .max)
        XCTAssertEqual(t.since(MonotonicInstant(nanoseconds: 9)), .zero)
        XCTAssertEqual(MonotonicInstant(nanoseconds: 3_500_000_000).since(.zero), .seconds(3.5))
    }

    func testTimeSpanConversionsAndText() {
        XCTAssertEqual(TimeSpan.seconds(1.5).nanoseconds, 1_500_000_000)
        XCTAssertEqual(TimeSpan.seconds(-3), .zero)
        XCTAssertEqual(TimeSpan.seconds(.nan), .zero)
        XCTAssertEqual(TimeSpan.milliseconds(250), .seconds(0.25))
        XCTAssertEqual(TimeSpan(.milliseconds(1500)), .seconds(1.5))
        XCTAssertEqual(TimeSpan(.seconds(-2)), .zero)
        XCTAssertEqual(TimeSpan.seconds(12.3456).description, "12.345s")
        XCTAssertEqual(TimeSpan.seconds(0.007).description, "0.007s")
    }

    func testIDsAreHexWithBootPrefixAndRoundTripThroughJSON() throws {
        var ids = IDAllocator(prefix: BootPrefix(0xdead_beef))
        let a = SessionID(ids.next()), b = SessionID(ids.next())
        XCTAssertEqual(a.description, "deadbeef00000001")
        XCTAssertEqual(b.description, "deadbeef00000002")
        XCTAssertEqual(SessionID(hex: "deadbeef00000002"), b)
        XCTAssertNil(SessionID(hex: "+1"))
        XCTAssertNil(DetectingTxn(hex: "12345678901234567"))
        let json = try JSONEncoder().encode([DetectingTxn(0xffff_ffff_ffff_fffe)])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["fffffffffffffffe"]"#)
        XCTAssertEqual(try JSONDecoder().decode([DetectingTxn].self, from: json), [DetectingTxn(0xffff_ffff_ffff_fffe)])
        XCTAssertThrowsError(try JSONDecoder().decode([SessionID].self, from: Data(#"["xyz"]"#.utf8)))
    }

    func testIDCounterWrapsToOneNotZero() {
        var ids = IDAllocator(prefix: BootPrefix(7))
        var last: UInt64 = 0
        for _ in 0..<3 { last = ids.next() }
        XCTAssertEqual(last, 7 << 32 | 3)
        var wrapped = IDAllocator(prefix: BootPrefix(7))
        wrapped.setCounterForTesting(.max - 1)
        XCTAssertEqual(wrapped.next(), 7 << 32 | UInt64(UInt32.max))
        XCTAssertEqual(wrapped.next(), 7 << 32 | 1)
    }

    func testTxnTableExpiresEvictsAndCompacts() {
        var table = TxnTable(capacity: 4, ttl: .seconds(1))
        func entry(_ n: UInt64, _ t: Double) -> PendingTxn {
            PendingTxn(txn: DetectingTxn(n), snapshot: CaptureSnapshot(camera: "c", captureTime: at(t), lockSessions: [], motion: nil),
                       imageSize: ImageSize(width: 1, height: 1), issuedAt: at(t))
        }
        for n in UInt64(1)...4 { XCTAssertEqual(table.insert(entry(n, 0)).evicted, 0) }
        XCTAssertEqual(table.insert(entry(5, 0.1)).evicted, 1)
        XCTAssertFalse(table.contains(DetectingTxn(1)))
        XCTAssertNotNil(table.take(DetectingTxn(3)))
        XCTAssertNil(table.take(DetectingTxn(3)))
        XCTAssertEqual(table.expire(now: at(1)), 2, "2 and 4 issued at 0 expire at 1")
        XCTAssertEqual(table.count, 1)
        // Answer out of order for a long time: the order queue stays bounded.
        for n in UInt64(10)..<10_000 {
            _ = table.insert(entry(n, 2))
            _ = table.take(DetectingTxn(n))
        }
        XCTAssertEqual(table.count, 0)
        XCTAssertLessThan(table.orderCountForTesting, 2 * 4 + 64 + 1)
    }

    func testZoneContainmentIsHalfOpenExceptAtTheImageEdge() throws {
        let left = try NormalizedRect(minX: 0, minY: 0, maxX: 0.5, maxY: 1)
        let right = try NormalizedRect(minX: 0.5, minY: 0, maxX: 1, maxY: 1)
        XCTAssertTrue(left.contains(x: 0, y: 0))
        XCTAssertFalse(left.contains(x: 0.5, y: 0.5))
        XCTAssertTrue(right.contains(x: 0.5, y: 0.5))
        XCTAssertTrue(right.contains(x: 1, y: 1))
        XCTAssertFalse(right.contains(x: 1.01, y: 0.5))
        XCTAssertThrowsError(try NormalizedRect(minX: 0.6, minY: 0, maxX: 0.5, maxY: 1)) {
            XCTAssertTrue("\($0)".contains("minX 0.6 is not less than maxX 0.5"))
        }
        XCTAssertThrowsError(try NormalizedRect(minX: 0, minY: -0.1, maxX: 0.5, maxY: 1)) {
            XCTAssertEqual("\($0)", "zone minY = -0.1 is outside 0...1")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(NormalizedRect.self,
                                                      from: Data(#"{"minX":0,"minY":0,"maxX":2,"maxY":1}"#.utf8)))
    }

    func testFaceCentreNormalization() {
        let r = FaceBox(left: 100, top: 200, right: 300, bottom: 400)
        let c = r.normalizedCentre(in: ImageSize(width: 400, height: 600))
        XCTAssertEqual(c?.x, 0.5)
        XCTAssertEqual(c?.y, 0.5)
        XCTAssertNil(r.normalizedCentre(in: ImageSize(width: 0, height: 600)))
    }

    func testDescriptorValidation() {
        XCTAssertThrowsError(try FaceDescriptor([Float](repeating: 0, count: 127))) {
            XCTAssertEqual("\($0)", "face descriptor has 127 values, expected 128")
        }
        var v = [Float](repeating: 0, count: 128)
        v[9] = .nan
        XCTAssertThrowsError(try FaceDescriptor(v)) { XCTAssertEqual($0 as? FaceDescriptorError, .nonFinite(index: 9)) }
        v[9] = .infinity
        XCTAssertThrowsError(try FaceDescriptor(v))
    }

    func testDescriptorDistanceIsEuclidean() throws {
        var a = [Float](repeating: 0, count: 128), b = a
        a[0] = 3; b[127] = 4
        XCTAssertEqual(try FaceDescriptor(a).distance(to: FaceDescriptor(b)), 5, accuracy: 1e-6)
    }

    func testConfigurationProblemsAreAllNamed() {
        let bad = EngineConfiguration(
            locks: [.init(id: "A", occupancyMax: .zero, policy: LockPolicy(confirmFrames: 0, confirmWindow: .seconds(11), liveness: .planar)),
                    .init(id: "A", occupancyMax: .seconds(1))],
            cameras: [.init(id: "cam", locks: ["A", "B"], motion: .init(locks: ["C"], motionMax: .zero),
                            zones: ["D": try! NormalizedRect(minX: 0, minY: 0, maxX: 1, maxY: 1)])],
            matching: .init(threshold: 0, margin: -1),
            maxDecisionAge: .seconds(10), txnCapacity: 0, txnTTL: .seconds(1))
        let problems = bad.problems()
        for expected in ["lock A: occupancy_max must be positive", "lock A is configured twice",
                         "camera cam lists lock B, which is not configured",
                         "camera cam: motion_max must be positive",
                         "camera cam: motion lock C is not one of the camera's locks",
                         "camera cam: zone for lock D, which is not one of the camera's locks",
                         "match_threshold must be a positive number", "match_margin must be zero or a positive number",
                         "lock A: confirm_frames must be at least 1",
                         "lock A: confirm_window 11.000s is longer than max_decision_age 10.000s", "txn capacity must be at least 1",
                         "txn TTL 1.000s is shorter than max_decision_age 10.000s"] {
            XCTAssertTrue(problems.contains(expected), "missing: \(expected) in \(problems)")
        }
        XCTAssertThrowsError(try DecisionEngine(configuration: bad, bootPrefix: BootPrefix(1))) {
            XCTAssertTrue("\($0)".hasPrefix("invalid decision configuration: "))
        }
        XCTAssertEqual(Cast.configuration().problems(), [])
    }

    func testSnapshotTriggeredLocksAndEmptiness() {
        let s = CaptureSnapshot(camera: "c", captureTime: at(1),
                                lockSessions: [.init(lock: "Z", session: SessionID(2)), .init(lock: "A", session: SessionID(1))],
                                motion: .init(session: SessionID(3), locks: ["A", "M"]))
        XCTAssertEqual(s.lockSessions.map(\.lock), ["A", "Z"])
        XCTAssertEqual(s.triggeredLocks, ["A", "M", "Z"])
        XCTAssertFalse(s.isEmpty)
        XCTAssertTrue(CaptureSnapshot(camera: "c", captureTime: at(1), lockSessions: [],
                                      motion: .init(session: SessionID(3), locks: [])).isEmpty)
    }

    func testSnapshotJSONIsReadable() throws {
        let s = CaptureSnapshot(camera: "cam-a", captureTime: MonotonicInstant(nanoseconds: 42),
                                lockSessions: [.init(lock: "DC006", session: SessionID(0x0000_0001_0000_0002))], motion: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try encoder.encode(s), as: UTF8.self),
                       #"{"camera":"cam-a","captureTime":42,"lockSessions":[{"lock":"DC006","session":"0000000100000002"}]}"#)
        XCTAssertEqual(try JSONDecoder().decode(CaptureSnapshot.self, from: encoder.encode(s)), s)
    }
}
