import BrokerCore
import Vocabulary
import XCTest

/// Face tracks per camera, session and member: what is kept, what is dropped, and that memory
/// stays bounded.
final class FaceTrackStoreTests: XCTestCase {
    private let camB: CameraID = "cam-b"
    private let s1 = SessionID(1), s2 = SessionID(2), s3 = SessionID(3)

    func testFramesAreKeptPerCameraSessionAndMemberInCaptureOrder() {
        var store = FaceTrackStore()
        store.record(trackFrame(2, txn: 2), member: Cast.obamaID, camera: Cast.camA, sessions: [s1])
        store.record(trackFrame(1, txn: 1), member: Cast.obamaID, camera: Cast.camA, sessions: [s1, s2])
        store.record(trackFrame(3, txn: 3), member: Cast.bidenID, camera: Cast.camA, sessions: [s1])
        store.record(trackFrame(4, txn: 4), member: Cast.obamaID, camera: camB, sessions: [s1])
        store.record(trackFrame(5, txn: 5), member: Cast.obamaID, camera: Cast.camA, sessions: [])

        let t = store.track(camera: Cast.camA, session: s1, member: Cast.obamaID)!
        XCTAssertEqual(t.frames.map(\.txn.rawValue), [1, 2], "oldest first, the frame outside every session not kept")
        XCTAssertEqual(t.firstCapture, .scenario(1))
        XCTAssertEqual(store.track(camera: Cast.camA, session: s2, member: Cast.obamaID)?.frames.map(\.txn.rawValue), [1])
        XCTAssertEqual(store.track(camera: Cast.camA, session: s1, member: Cast.bidenID)?.frames.map(\.txn.rawValue), [3])
        XCTAssertEqual(store.track(camera: camB, session: s1, member: Cast.obamaID)?.frames.map(\.txn.rawValue), [4])
        XCTAssertNil(store.track(camera: camB, session: s2, member: Cast.obamaID))
        XCTAssertEqual(store.tracks(in: s1).map { "\($0.camera)/\($0.member)" }, ["cam-a/1", "cam-a/2", "cam-b/1"])
        XCTAssertEqual(store.frameCount, 5)
        XCTAssertEqual(store.frameCount(camera: Cast.camA), 4)
        XCTAssertEqual(store.frameCount(camera: Cast.camA, session: s1), 3)
    }

    func testOneInstantIsOneFrameAndKeepsTheCloserMatch() {
        var store = FaceTrackStore()
        store.record(trackFrame(1, txn: 1, distance: 0.4), member: Cast.obamaID, camera: Cast.camA, sessions: [s1])
        store.record(trackFrame(1, txn: 1, distance: 0.2), member: Cast.obamaID, camera: Cast.camA, sessions: [s1])
        store.record(trackFrame(1, txn: 1, distance: 0.3), member: Cast.obamaID, camera: Cast.camA, sessions: [s1, s1])
        let t = store.track(camera: Cast.camA, session: s1, member: Cast.obamaID)!
        XCTAssertEqual(t.frames.map(\.distance), [0.2])
        XCTAssertEqual(store.frameCount, 1)
    }

    func testAClosedSessionDropsItsTracksAndReturnsThem() {
        var store = FaceTrackStore()
        store.record(trackFrame(1, txn: 1), member: Cast.obamaID, camera: Cast.camA, sessions: [s1, s2])
        store.record(trackFrame(2, txn: 2), member: Cast.bidenID, camera: camB, sessions: [s1])
        let closed = store.sessionClosed(s1)
        XCTAssertEqual(closed.map(\.member), [Cast.obamaID, Cast.bidenID])
        XCTAssertEqual(closed.map(\.session), [s1, s1])
        XCTAssertTrue(store.tracks(in: s1).isEmpty)
        XCTAssertEqual(store.track(camera: Cast.camA, session: s2, member: Cast.obamaID)?.frames.count, 1)
        XCTAssertEqual(store.frameCount, 1)
        XCTAssertEqual(store.frameCount(camera: camB), 0)
        XCTAssertTrue(store.sessionClosed(s1).isEmpty, "closing twice")
        store.removeAll()
        XCTAssertEqual(store.frameCount, 0)
        XCTAssertTrue(store.tracks(in: s2).isEmpty)
    }

    func testTheOldestFrameIsDroppedAndTheTrackRemembersWhenItBegan() {
        var store = FaceTrackStore(limits: .init(framesPerSession: 3, framesPerCamera: 5))
        var dropped = 0
        for i in 0..<5 {
            dropped += store.record(trackFrame(Double(i), txn: UInt64(i)), member: Cast.obamaID, camera: Cast.camA, sessions: [s1])
        }
        XCTAssertEqual(dropped, 2)
        let t = store.track(camera: Cast.camA, session: s1, member: Cast.obamaID)!
        XCTAssertEqual(t.frames.map(\.txn.rawValue), [2, 3, 4])
        XCTAssertEqual(t.firstCapture, .scenario(0), "dropping frames must not make the track look younger")
        // A late result captured before everything kept is itself the oldest: dropped at once.
        XCTAssertEqual(store.record(trackFrame(0.5, txn: 9), member: Cast.obamaID, camera: Cast.camA, sessions: [s1]), 1)
        XCTAssertEqual(store.track(camera: Cast.camA, session: s1, member: Cast.obamaID)!.frames.map(\.txn.rawValue), [2, 3, 4])
        // The camera's limit takes the oldest of any session.
        store.record(trackFrame(10, txn: 10), member: Cast.bidenID, camera: Cast.camA, sessions: [s2])
        store.record(trackFrame(11, txn: 11), member: Cast.bidenID, camera: Cast.camA, sessions: [s2])
        XCTAssertEqual(store.record(trackFrame(12, txn: 12), member: Cast.bidenID, camera: Cast.camA, sessions: [s3]), 1)
        XCTAssertEqual(store.track(camera: Cast.camA, session: s1, member: Cast.obamaID)!.frames.map(\.txn.rawValue), [3, 4])
        XCTAssertEqual(store.frameCount(camera: Cast.camA), 5)
    }

    func testLimitsThatCannotWorkAreNamedAndRaised() {
        XCTAssertEqual(FaceTrackStore.Limits().problems(), [])
        XCTAssertEqual(FaceTrackStore.Limits(framesPerSession: 0, framesPerCamera: 10).problems(),
                       ["track frames per session must be at least 1"])
        XCTAssertEqual(FaceTrackStore.Limits(framesPerSession: 8, framesPerCamera: 4).problems(),
                       ["track frames per camera (4) must be at least the frames per session (8)"])
        let store = FaceTrackStore(limits: .init(framesPerSession: 0, framesPerCamera: -1))
        XCTAssertEqual(store.limits, .init(framesPerSession: 1, framesPerCamera: 1))
    }

    /// Random records, closes and resets against a plain list that applies the same rules one
    /// frame at a time: memory stays within the limits, and what is kept is exactly the model's.
    func testMemoryStaysBoundedAndMatchesAPlainModelOnRandomRuns() {
        struct Entry: Equatable {
            var camera: CameraID, session: SessionID, member: MemberID, time: Double, distance: Double
        }
        struct Key: Hashable {
            var camera: CameraID, session: SessionID, member: MemberID
        }
        let cameras: [CameraID] = [Cast.camA, camB]
        for seed in UInt64(1)...25 {
            var rng = SeededGenerator(seed: seed)
            let perSession = Int.random(in: 1...12, using: &rng)
            let limits = FaceTrackStore.Limits(framesPerSession: perSession, framesPerCamera: perSession + Int.random(in: 0...20, using: &rng))
            var store = FaceTrackStore(limits: limits)
            var model: [Entry] = []
            var openSessions: [SessionID] = [SessionID(1)]
            var nextSession: UInt64 = 2
            for step in 0..<300 {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<80:
                    let camera = cameras.randomElement(using: &rng)!
                    let member = MemberID(Int64.random(in: 1...4, using: &rng))
                    let time = Double(Int.random(in: 0...300, using: &rng)) / 10 // repeats, and late arrivals
                    let distance = Double.random(in: 0.1...0.5, using: &rng)
                    let sessions = openSessions.filter { _ in Bool.random(using: &rng) }
                    let frame = trackFrame(time, txn: UInt64(step), distance: distance)
                    var expectedDrops = 0
                    for session in Set(sessions).sorted() {
                        if let i = model.firstIndex(where: { $0.camera == camera && $0.session == session && $0.member == member && $0.time == time }) {
                            if distance < model[i].distance { model[i].distance = distance }
                            continue
                        }
                        model.append(Entry(camera: camera, session: session, member: member, time: time, distance: distance))
                        func dropOldest(_ keep: (Entry) -> Bool) {
                            let i = model.indices.filter { keep(model[$0]) }.min { a, b in
                                (model[a].time, model[a].member, model[a].session.rawValue) < (model[b].time, model[b].member, model[b].session.rawValue)
                            }!
                            model.remove(at: i)
                            expectedDrops += 1
                        }
                        while model.filter({ $0.camera == camera && $0.session == session }).count > limits.framesPerSession {
                            dropOldest { $0.camera == camera && $0.session == session }
                        }
                        while model.filter({ $0.camera == camera }).count > limits.framesPerCamera {
                            dropOldest { $0.camera == camera }
                        }
                    }
                    XCTAssertEqual(store.record(frame, member: member, camera: camera, sessions: sessions), expectedDrops,
                                   "seed \(seed) step \(step)")
                case 80..<90:
                    openSessions.append(SessionID(nextSession))
                    nextSession += 1
                case 90..<99:
                    guard let closing = openSessions.randomElement(using: &rng) else { continue }
                    openSessions.removeAll { $0 == closing }
                    let closed = store.sessionClosed(closing)
                    XCTAssertEqual(closed.reduce(0) { $0 + $1.frames.count }, model.filter { $0.session == closing }.count)
                    model.removeAll { $0.session == closing }
                default:
                    store.removeAll()
                    model.removeAll()
                }
                // Bounded, and exactly the model's content.
                guard store.frameCount == model.count else {
                    return XCTFail("seed \(seed) step \(step): \(store.frameCount) frames kept, the model keeps \(model.count)")
                }
                var expected: [Key: [Entry]] = [:]
                for e in model { expected[Key(camera: e.camera, session: e.session, member: e.member), default: []].append(e) }
                for camera in cameras {
                    guard store.frameCount(camera: camera) <= limits.framesPerCamera else {
                        return XCTFail("seed \(seed) step \(step): \(store.frameCount(camera: camera)) frames on \(camera)")
                    }
                }
                // Every track the model has, frame for frame; with equal totals the store has no other.
                for (key, entries) in expected {
                    guard store.frameCount(camera: key.camera, session: key.session) <= limits.framesPerSession else {
                        return XCTFail("seed \(seed) step \(step): \(store.frameCount(camera: key.camera, session: key.session)) frames in \(key.session)")
                    }
                    let kept = store.track(camera: key.camera, session: key.session, member: key.member)?.frames ?? []
                    let want = entries.sorted { $0.time < $1.time }
                    guard kept.map(\.captureTime) == want.map({ MonotonicInstant.scenario($0.time) }),
                          kept.map(\.distance) == want.map(\.distance) else {
                        return XCTFail("seed \(seed) step \(step): \(key) kept \(kept.map(\.captureTime)), expected \(want.map(\.time))")
                    }
                }
            }
        }
    }
}
