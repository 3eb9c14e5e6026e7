import BrokerCore
import Foundation
import GalleryStore
import TestSupport
import XCTest

/// Random touches, random photos and SIGKILLs of random processes (broker, capture, both
/// recognizers, mosquitto), with the test restarting what died like a supervisor; bounded in
/// steps and time, seeded (the seed is printed; FACEGATE_FAULT_SEED=N replays a run's choices).
/// After the run, the invariant is checked on the audit and on what the lock simulator recorded:
/// every unlock was of a lock whose session was open at the matched frame's capture time, that
/// the member holds a grant for, at most once per session. Then the pipeline must still work.
final class RandomFaultTests: ScenarioCase {
    /// Real seconds of random play (plus set-up, recovery and checks: about 1.5 minutes in all);
    /// `make soak` plays many seeds shorter (FACEGATE_FAULT_PLAY_SECONDS).
    static let playSeconds = ProcessInfo.processInfo.environment["FACEGATE_FAULT_PLAY_SECONDS"].flatMap(Double.init) ?? 60
    static let maxSteps = Int(playSeconds * 1.5)
    /// MQTT delivery and broker reaction time allowed between the simulator's record of an
    /// event and the broker acting on it (real seconds).
    static let tolerance = 1.0

    static let photos: [String?] = ["obama2.jpg", "obama2.jpg", "biden2.jpg", "two_people.jpg", "lin-manuel-miranda.png", nil]
    static let people: [String: Set<String>] = [
        "obama2.jpg": ["obama"], "biden2.jpg": ["biden"], "two_people.jpg": ["obama", "biden"], "lin-manuel-miranda.png": [],
    ]

    func testRandomFaultsKeepTheInvariant() throws {
        let seed = ProcessInfo.processInfo.environment["FACEGATE_FAULT_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("RandomFaultTests seed \(seed) (replay with FACEGATE_FAULT_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        let p = try makePipeline { $0.recognizers = ["r1", "r2"] }
        let parts: [Pipeline.Part] = [.broker, .capture, .recognizer("r1"), .recognizer("r2"), .mosquitto]
        var restarts: [(part: Pipeline.Part, due: Date)] = []
        var kills: [Pipeline.Part: Int] = [:]
        var story: [String] = []
        func note(_ text: String) { story.append(String(format: "@%.2f ", p.now) + text) }

        func supervise(force: Bool = false) {
            let now = Date()
            for (index, job) in restarts.enumerated().reversed() where force || job.due <= now {
                restarts.remove(at: index)
                do {
                    try p.restart(job.part, waitUntilReady: false)
                    note("restarted \(job.part)")
                } catch {
                    note("restart of \(job.part) failed (\(error)); retrying")
                    restarts.append((job.part, Date(timeIntervalSinceNow: 0.5)))
                }
            }
        }

        let start = Date()
        var steps = 0
        while steps < Self.maxSteps, Date().timeIntervalSince(start) < Self.playSeconds {
            steps += 1
            supervise()
            let roll = rng.next(upTo: 100)
            switch roll {
            case 0..<30:
                let lock = PipelineOptions.locks[rng.next(upTo: 2)]
                try p.touch(lock, wait: false)
                note("touch \(lock)")
            case 30..<60:
                let photo = Self.photos[rng.next(upTo: Self.photos.count)]
                restarts.removeAll { $0.part == .capture }
                if let photo { try p.show(photo) } else { p.hide() }
                note("camera shows \(photo ?? "nothing")")
            case 60..<76:
                let part = parts[rng.next(upTo: parts.count)]
                guard p.isRunning(part) else { continue }
                p.signal(part, SIGKILL)
                kills[part, default: 0] += 1
                let delay = 0.2 + Double(rng.next(upTo: 1800)) / 1000
                // The capture comes back only if the camera still shows something then.
                restarts.append((part, Date(timeIntervalSinceNow: delay)))
                note("SIGKILL \(part), restart in \(String(format: "%.1f", delay)) s")
            default:
                break
            }
            Thread.sleep(forTimeInterval: 0.2 + Double(rng.next(upTo: 1300)) / 1000)
        }
        supervise(force: true)
        print("RandomFaultTests: \(steps) steps, kills \(kills.map { "\($0.key): \($0.value)" }.sorted())")

        // Everything up again, then the run comes to rest and is judged.
        XCTAssertTrue(waitUntil(timeout: 30) { parts.filter { $0 != .capture }.allSatisfy { p.isRunning($0) } }, p.dump())
        XCTAssertTrue(settle(p, auditAllRuns: false), "the pipeline did not come to rest\n\(p.dump())")
        let violations = checkInvariant(p, story: story)
        let rows = audit(p)
        print("RandomFaultTests summary seed=\(seed) steps=\(steps) kills=\(kills.map { "\($0.key):\($0.value)" }.sorted().joined(separator: ","))"
              + " decisions=\(rows.count) unlocks=\(rows.filter { $0.kind == .unlock }.count)"
              + " unlock_failed=\(rows.filter { $0.kind == .unlockFailed }.count) commands=\(p.commands().count)"
              + " violations=\(violations.invariant) disagreements=\(violations.disagreements)")

        // The pipeline still works: S1 after the faults.
        XCTAssertTrue(waitUntil(timeout: 30) { (p.brokerStatus()?["mqtt"] as? [String: Any])?["connected"] as? Bool == true }, p.dump())
        XCTAssertTrue(waitUntil(timeout: 30) { p.locks.isSubscribed }, p.dump())
        XCTAssertTrue(waitUntil(timeout: 60) { (p.brokerStatus()?["recognizers"] as? [Any])?.count == 2 }, p.dump())
        let before = p.commands("DC006").count
        let unlockRows = audit(p).filter { $0.kind == .unlock }.count
        // A release first: DC006 may still be in a session that has already unlocked it.
        try p.release("DC006")
        try p.touch("DC006")
        try p.show("obama2.jpg")
        waitForDecision(p, .unlock, count: unlockRows + 1)
        XCTAssertTrue(settle(p, auditAllRuns: false), p.dump())
        XCTAssertGreaterThan(p.commands("DC006").count, before, "no unlock after the faults\n\(p.dump())")
        checkInvariant(p, story: story)
    }

    /// The invariant over the whole run (see the class comment), and the audit against what the
    /// locks received: every command a lock received has an unlock row, and no row says the lock
    /// confirmed a command it never received. Returns how many of each failed.
    @discardableResult
    func checkInvariant(_ p: Pipeline, story: [String], file: StaticString = #filePath,
                        line: UInt = #line) -> (invariant: Int, disagreements: Int) {
        let rows = audit(p)
        let events = p.lockEvents
        let tol = UInt64(Self.tolerance * 1e9)
        let occupancyMax = UInt64(p.options.occupancyMax * p.scale * 1e9)
        let grants = Dictionary(uniqueKeysWithValues: p.options.members.map { ($0.name, Set($0.grants)) })
        let sessionResets = p.resets.filter { $0.part == .broker || $0.part == .mosquitto }.map(\.at)
        var failures: [String] = []
        var disagreements = 0
        func fail(_ text: String) { failures.append(text) }

        struct Unlock { let lock: String; let capture: UInt64; let session: SessionID?; let row: AuditEntry }
        var unlocks: [Unlock] = []
        for row in rows where row.kind == .unlock {
            guard let capture = row.captureMonotonicNs, let snapshot = try? row.snapshot() else {
                fail("unlock row without capture time or snapshot: \(row)"); continue
            }
            for lock in row.unlockedLocks.map(\.rawValue) {
                unlocks.append(Unlock(lock: lock, capture: capture,
                                      session: snapshot.lockSessions.first { $0.lock.rawValue == lock }?.session, row: row))
            }
        }

        for u in unlocks {
            let what = "unlock of \(u.lock) for \(u.row.member?.name ?? "?") captured @\(String(format: "%.2f", p.scenarioTime(u.capture)))"
            // A grant for the lock.
            guard let member = u.row.member?.name else { fail("\(what): no member"); continue }
            if !(grants[member]?.contains(u.lock) ?? false) { fail("\(what): \(member) holds no grant for \(u.lock)") }
            // The camera showed that member then.
            let showing = p.showings.last { $0.start <= u.capture && ($0.end ?? .max) >= u.capture }
            let shown = showing?.photo.flatMap { Self.people[$0] } ?? []
            if !shown.contains(member) { fail("\(what): the camera showed \(showing?.photo ?? "nothing") then") }
            // The lock's session was open at the capture instant: the last occupancy report of
            // the lock before it was a delivered true, no false came before the capture (give or
            // take delivery), the true was not older than occupancy_max, and neither the broker
            // nor mosquitto went away in between (both end every session).
            guard u.session != nil else { fail("\(what): the snapshot has no session of \(u.lock)"); continue }
            let reports = events.filter { $0.event == "occupancy" && $0.lock == u.lock && $0.published == true }
            guard let lastTrue = reports.last(where: { $0.occupancy == true && $0.monotonicNs <= u.capture }) else {
                fail("\(what): the lock was never touched before"); continue
            }
            if let off = reports.first(where: { $0.occupancy == false && $0.monotonicNs > lastTrue.monotonicNs }),
               off.monotonicNs + tol < u.capture {
                fail("\(what): its occupancy:false came @\(String(format: "%.2f", p.scenarioTime(off.monotonicNs)))")
            }
            if u.capture > lastTrue.monotonicNs + occupancyMax + tol { fail("\(what): its last touch was older than occupancy_max") }
            if let reset = sessionResets.first(where: { $0 > lastTrue.monotonicNs && $0 + tol < u.capture }) {
                fail("\(what): every session had ended @\(String(format: "%.2f", p.scenarioTime(reset))) after the last touch")
            }
        }

        // At most once per session: per broker session, and per touch of the lock unless a reset
        // ended the broker's session and a new touch opened another in between.
        for (key, group) in Dictionary(grouping: unlocks.filter { $0.session != nil }, by: { "\($0.lock) \($0.session!)" }) where group.count > 1 {
            fail("session \(key) unlocked \(group.count) times")
        }
        for lock in PipelineOptions.locks {
            let ordered = unlocks.filter { $0.lock == lock }.sorted { $0.capture < $1.capture }
            for (a, b) in zip(ordered, ordered.dropFirst()) {
                let reports = events.filter { $0.event == "occupancy" && $0.lock == lock && $0.published == true }
                let falseBetween = reports.contains { $0.occupancy == false && $0.monotonicNs > a.capture && $0.monotonicNs < b.capture }
                let resetThenTouch = sessionResets.contains { reset in
                    reset + tol > a.capture && reports.contains { $0.occupancy == true && $0.monotonicNs > reset && $0.monotonicNs <= b.capture }
                }
                if !falseBetween && !resetThenTouch {
                    fail("\(lock) unlocked twice in one touch: @\(String(format: "%.2f", p.scenarioTime(a.capture))) and @\(String(format: "%.2f", p.scenarioTime(b.capture)))")
                }
            }
            // Every command the lock received came from an audited unlock, and no more commands
            // are confirmed than the lock received.
            // A failed command that was written but never acknowledged (mosquitto killed between
            // forwarding it and its PUBACK) may have arrived: its row says so in its detail.
            let received = p.commands(lock).count
            let unacknowledged = rows.filter { $0.kind == .unlockFailed }.flatMap(\.deliveries).filter { d in
                d.lock.rawValue == lock && ["no PUBACK", "connection lost"].contains { d.detail?.hasPrefix($0) ?? false }
            }.count
            if received > ordered.count + unacknowledged {
                disagreements += 1
                fail("\(lock) received \(received) commands for \(ordered.count) audited unlocks (+\(unacknowledged) unacknowledged)")
            }
            let confirmed = rows.flatMap(\.deliveries).filter { $0.lock.rawValue == lock && $0.confirmation == .confirmed }.count
            if confirmed > received {
                disagreements += 1
                fail("\(lock): \(confirmed) deliveries confirmed, but the lock received \(received) commands")
            }
            if received < ordered.count {
                print("note: \(ordered.count - received) unlock(s) of \(lock) published while mosquitto went away were not delivered")
            }
        }
        XCTAssertTrue(p.commands().allSatisfy { $0.state == "UNLOCK" }, "only UNLOCK commands", file: file, line: line)
        print("RandomFaultTests: \(rows.count) decisions, \(unlocks.count) unlocks, kinds \(Dictionary(grouping: rows, by: \.kind.rawValue).mapValues(\.count))")
        XCTAssertEqual(failures, [], "invariant violated; the run:\n\(story.joined(separator: "\n"))\n--- audit\n\(auditText(p))",
                       file: file, line: line)
        return (failures.count - disagreements, disagreements)
    }
}

/// A small seeded generator (SplitMix64), so a run's choices can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
