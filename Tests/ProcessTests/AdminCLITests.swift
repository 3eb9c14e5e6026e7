import BrokerCore
import Foundation
import GalleryStore
import ProcessSupport
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// The real `facegate` executable against a temporary configuration and database.
final class AdminCLITests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var jsonLines: [[String: Any]] {
            lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        var jsonArray: [[String: Any]] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]]) ?? []
        }
        var jsonObject: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]) ?? [:]
        }
    }

    var dir: TemporaryDirectory!
    var configPath: String!
    var databasePath: String { dir.file("gallery.sqlite").path }
    private var runs = 0

    override func setUp() {
        dir = TemporaryDirectory(prefix: "fgcli")
        configPath = dir.file("facegate.toml").path
        // Relative paths resolve against the file's directory; models come from the test cache.
        let config = """
            [runtime]
            sockets_dir = "run"
            database = "gallery.sqlite"

            [mqtt]
            username = "facegate"
            password = "secret"

            [recognizer]
            models_dir = "\(Paths.modelsDirectory.path)"
            detector = "hog"
            upsample = 1
            landmarks = 5

            [decision]
            match_threshold = 0.5
            match_margin = 0.05

            [[locks]]
            id = "DC001"

            [[locks]]
            id = "DC006"

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001", "DC006"]
            """
        _ = FileManager.default.createFile(atPath: configPath, contents: Data(config.utf8))
    }

    override func tearDown() { dir = nil }

    /// Runs `facegate ARGS --config FILE` to completion; stdout and stderr kept apart.
    @discardableResult
    func facegate(_ arguments: [String], withConfig: Bool = true, environment: [String: String] = [:]) throws -> Run {
        let (child, out) = try start(arguments, withConfig: withConfig, environment: environment)
        guard let status = child.waitForExit(timeout: 120) else {
            child.terminate()
            XCTFail("facegate \(arguments) did not finish: \(child.log)")
            return Run(status: -1, stdout: "", stderr: child.log)
        }
        return Run(status: status, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr: child.log)
    }

    func start(_ arguments: [String], withConfig: Bool = true, environment: [String: String] = [:]) throws -> (ChildProcess, URL) {
        runs += 1
        let out = dir.file("stdout-\(runs).txt")
        let args = arguments + (withConfig ? ["--config", configPath!] : [])
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                     ["-c", "exec \"$0\" \"$@\" > \"$FG_STDOUT\"", Paths.executable("facegate").path] + args,
                                     environment: environment.merging(["FG_STDOUT": out.path]) { $1 },
                                     logDirectory: dir.url, name: "facegate-\(runs)")
        return (child, out)
    }

    func face(_ name: String) -> String { Paths.face(name).path }

    // MARK: config check

    func testConfigCheckPrintsOkOrEveryProblemWithItsLine() throws {
        let ok = try facegate(["config", "check", configPath], withConfig: false)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "\(configPath!): ok (1 camera, 2 locks)\n")

        let bad = dir.file("bad.toml").path
        try """
            [runtime]
            sockets_dir = 3
            bogus = true

            [[locks]]
            id = "DC001"

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001", "DC999"]
            fps = 500
            """.write(toFile: bad, atomically: true, encoding: .utf8)
        let check = try facegate(["config", "check", bad], withConfig: false)
        XCTAssertEqual(check.status, 1)
        let problems = check.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):2: ") && $0.contains("sockets_dir") }, check.stderr)
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):3: ") && $0.contains("unknown key") }, check.stderr)
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):11: ") && $0.contains("DC999") }, check.stderr)
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):12: ") && $0.contains("fps") }, check.stderr)
        // No [mqtt] at all: facegate would log in to no one.
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad): mqtt.username: is not set") && $0.contains("allow_anonymous = true") },
                      check.stderr)
        XCTAssertTrue(problems.contains("\(bad): 5 problems"), check.stderr)

        // A syntax error names line and column.
        let syntax = dir.file("syntax.toml").path
        try "[runtime]\nsockets_dir = \n".write(toFile: syntax, atomically: true, encoding: .utf8)
        let syntaxCheck = try facegate(["config", "check", syntax], withConfig: false)
        XCTAssertEqual(syntaxCheck.status, 1)
        XCTAssertTrue(syntaxCheck.stderr.hasPrefix("\(syntax):2:"), syntaxCheck.stderr)

        // Other commands refuse an invalid file in one line that points at the first problem.
        let members = try facegate(["members", "list", "--config", bad], withConfig: false)
        XCTAssertEqual(members.status, 1)
        XCTAssertEqual(members.stderr.split(separator: "\n").count, 1, members.stderr)
        XCTAssertTrue(members.stderr.hasPrefix("facegate: \(bad):2: "), members.stderr)
        XCTAssertTrue(members.stderr.contains("and 3 more"), "only config check and the broker need a login: \(members.stderr)")

        // Without an argument, check takes the file FACEGATE_CONFIG names.
        let env = try facegate(["config", "check"], withConfig: false, environment: ["FACEGATE_CONFIG": bad])
        XCTAssertEqual(env.status, 1)
        XCTAssertTrue(env.stderr.contains("\(bad):3: "), env.stderr)

        let missing = try facegate(["config", "check", dir.file("none.toml").path], withConfig: false)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("facegate: cannot read \(dir.file("none.toml").path)"), missing.stderr)
    }

    func testConfigCheckAcceptsAnAnonymousBusOnlyWhenTheFileSaysSoAndWarns() throws {
        let open = dir.file("open.toml").path
        try "[mqtt]\nhost = \"127.0.0.1\"\nallow_anonymous = true\n".write(toFile: open, atomically: true, encoding: .utf8)
        let check = try facegate(["config", "check", open], withConfig: false)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stderr.contains("warning: mqtt.allow_anonymous = true"), check.stderr)

        let closed = dir.file("closed.toml").path
        try "[mqtt]\nhost = \"127.0.0.1\"\n".write(toFile: closed, atomically: true, encoding: .utf8)
        let refused = try facegate(["config", "check", closed], withConfig: false)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("\(closed):1: mqtt.username: is not set"), refused.stderr)
    }

    // MARK: mqtt acl

    func testMQTTACLGrantsEachUserItsTopicsAndPrintsNoPassword() throws {
        let acl = try facegate(["mqtt", "acl", "--password-file", "/etc/mosquitto/site.passwd"])
        XCTAssertEqual(acl.status, 0, acl.stderr)
        let rules = acl.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map(String.init)
        XCTAssertEqual(rules, [
            "user facegate", "topic read zigbee2mqtt/DC001", "topic read zigbee2mqtt/DC006",
            "topic write zigbee2mqtt/DC001/set", "topic write zigbee2mqtt/DC006/set",
            "user zigbee2mqtt", "topic readwrite zigbee2mqtt/#",
        ])
        XCTAssertTrue(acl.stdout.contains("#   mosquitto_passwd -c /etc/mosquitto/site.passwd facegate\n"), acl.stdout)
        XCTAssertTrue(acl.stdout.contains("#   mosquitto_passwd /etc/mosquitto/site.passwd zigbee2mqtt\n"), acl.stdout)
        XCTAssertFalse(acl.stdout.contains("secret"), "the configured password must never be printed")

        let shared = try facegate(["mqtt", "acl", "--zigbee2mqtt-user", "facegate"])
        XCTAssertEqual(shared.status, 1)
        XCTAssertTrue(shared.stderr.contains("both log in as \"facegate\""), shared.stderr)

        let anonymous = dir.file("anonymous.toml").path
        try "[mqtt]\nallow_anonymous = true\n".write(toFile: anonymous, atomically: true, encoding: .utf8)
        let none = try facegate(["mqtt", "acl", "--config", anonymous], withConfig: false)
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.hasPrefix("facegate: \(anonymous): mqtt.username is not set"), none.stderr)
    }

    // MARK: members and grants

    func testMembersAddListRemoveAndTheirErrors() throws {
        let before = try facegate(["members", "list"])
        XCTAssertEqual(before.status, 1, "reading needs an existing database")
        XCTAssertTrue(before.stderr.contains("no database at \(databasePath)"), before.stderr)

        XCTAssertEqual(try facegate(["members", "add", "alice"]).stdout, "added member alice (id 1)\n")
        // FACEGATE_CONFIG stands in for --config.
        let bob = try facegate(["members", "add", "bob"], withConfig: false, environment: ["FACEGATE_CONFIG": configPath])
        XCTAssertEqual(bob.status, 0, bob.stderr)

        let duplicate = try facegate(["members", "add", "ALICE"])
        XCTAssertEqual(duplicate.status, 1)
        XCTAssertEqual(duplicate.stderr, "facegate: a member named \"ALICE\" already exists\n")
        let blank = try facegate(["members", "add", " carol"])
        XCTAssertEqual(blank.status, 1)
        XCTAssertTrue(blank.stderr.contains("white space"), blank.stderr)

        let list = try facegate(["members", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.lines.count, 3, list.stdout)
        XCTAssertTrue(list.lines[0].hasPrefix("NAME"), list.stdout)
        XCTAssertTrue(list.lines[1].hasPrefix("alice "), list.stdout)
        XCTAssertTrue(list.lines[2].hasPrefix("bob "), list.stdout)

        let json = try facegate(["members", "list", "--json"])
        XCTAssertEqual(json.jsonArray.compactMap { $0["name"] as? String }, ["alice", "bob"], json.stdout)
        XCTAssertEqual(json.jsonArray.first?["faces"] as? Int, 0)

        let removed = try facegate(["members", "remove", "Alice"])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(removed.stdout, "removed member alice (0 faces, no grants)\n")
        let again = try facegate(["members", "remove", "alice"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "facegate: no member named \"alice\"\n")
        XCTAssertEqual(try facegate(["members", "list", "--json"]).jsonArray.compactMap { $0["name"] as? String }, ["bob"])

        let usage = try facegate(["members", "add"])
        XCTAssertEqual(usage.status, 64, "a missing argument is a usage error")
        let help = try facegate(["--help"], withConfig: false)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("EXIT STATUS") && help.stdout.contains("FACEGATE_CONFIG"), help.stdout)
    }

    /// The broker and admin commands may open a database that does not exist yet at the same
    /// instant (a fresh install started by its units): every one of them must succeed, in
    /// processes, not only threads (SQLite refuses a second WAL set-up at once without waiting).
    func testManyProcessesOpeningAFreshDatabaseAtOnceAllSucceed() throws {
        let base = try String(contentsOfFile: configPath, encoding: .utf8)
        for round in 0..<4 {
            let config = dir.file("fresh\(round).toml").path
            try base.replacingOccurrences(of: "database = \"gallery.sqlite\"", with: "database = \"fresh\(round).sqlite\"")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let started = try (0..<6).map { i in
                try start(["members", "add", "m\(i)", "--config", config], withConfig: false)
            }
            for (i, (child, _)) in started.enumerated() {
                let status = child.waitForExit(timeout: 120)
                XCTAssertEqual(status, 0, "round \(round), process \(i): \(child.log)")
            }
            let store = try GalleryStore(path: dir.file("fresh\(round).sqlite").path)
            XCTAssertEqual(try store.listMembers().map(\.name), (0..<6).map { "m\($0)" }, "round \(round)")
            XCTAssertEqual(try store.appliedMigrations().count, try GalleryStore(path: databasePath).appliedMigrations().count)
        }
    }

    func testGrantsNeedAKnownMemberAndAConfiguredLock() throws {
        XCTAssertEqual(try facegate(["members", "add", "alice"]).status, 0)

        let unknownLock = try facegate(["grants", "add", "alice", "DC999"])
        XCTAssertEqual(unknownLock.status, 1)
        XCTAssertTrue(unknownLock.stderr.hasPrefix("facegate: unknown lock \"DC999\""), unknownLock.stderr)
        XCTAssertTrue(unknownLock.stderr.contains("known locks: DC001, DC006"), unknownLock.stderr)

        let unknownMember = try facegate(["grants", "add", "nobody", "DC001"])
        XCTAssertEqual(unknownMember.status, 1)
        XCTAssertEqual(unknownMember.stderr, "facegate: no member named \"nobody\"\n")

        XCTAssertEqual(try facegate(["grants", "add", "alice", "DC006"]).stdout, "granted alice lock DC006\n")
        XCTAssertEqual(try facegate(["grants", "add", "alice", "DC001"]).status, 0)
        let duplicate = try facegate(["grants", "add", "alice", "DC006"])
        XCTAssertEqual(duplicate.status, 1)
        XCTAssertEqual(duplicate.stderr, "facegate: alice already holds a grant for DC006\n")

        // A grant the configuration no longer backs is shown as such.
        let store = try GalleryStore(path: databasePath)
        try store.addGrant(member: "alice", lock: "OLD1")
        let list = try facegate(["grants", "list", "alice", "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.jsonArray.compactMap { $0["lock"] as? String }, ["DC001", "DC006", "OLD1"])
        XCTAssertEqual(list.jsonArray.compactMap { $0["configured"] as? Bool }, [true, true, false])
        let text = try facegate(["grants", "list"])
        XCTAssertTrue(text.lines.contains { $0.hasPrefix("alice ") && $0.contains("OLD1") && $0.hasSuffix("not configured") },
                      text.stdout)

        XCTAssertEqual(try facegate(["grants", "remove", "alice", "OLD1"]).status, 0, "removing needs no configured lock")
        XCTAssertEqual(try facegate(["grants", "remove", "alice", "DC001"]).stdout, "revoked alice's grant for lock DC001\n")
        let again = try facegate(["grants", "remove", "alice", "DC001"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "facegate: alice holds no grant for DC001\n")
        XCTAssertEqual(try facegate(["grants", "list", "--json"]).jsonArray.compactMap { $0["lock"] as? String }, ["DC006"])
        XCTAssertEqual(try facegate(["members", "list", "--json"]).jsonArray.first?["grants"] as? [String], ["DC006"])
    }

    // MARK: faces

    func testEnrollStoresOneFacePerPhotoAsTheReferenceComputesIt() throws {
        let reference = try Reference.load()

        let noMember = try facegate(["faces", "enroll", "obama", face("obama.jpg")])
        XCTAssertEqual(noMember.status, 1)
        XCTAssertTrue(noMember.stderr.contains("no member named \"obama\"") && noMember.stderr.contains("--create"), noMember.stderr)

        let first = try facegate(["faces", "enroll", "obama", face("obama.jpg"), "--create"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("\(face("obama.jpg")): 1 face, stored"), first.stdout)
        let store = try GalleryStore(path: databasePath)
        var faces = try store.listFaces(member: "obama")
        XCTAssertEqual(faces.count, 1)
        let obama = try XCTUnwrap(reference["obama.jpg"])
        XCTAssertEqual(faces[0].sourceSHA256, obama.sha256, "the stored hash is the file's sha256")
        XCTAssertEqual(faces[0].model, "dlib_face_recognition_resnet_model_v1")
        XCTAssertEqual(faces[0].detector, "hog upsample=1 landmarks=5")
        XCTAssertLessThan(distance(faces[0].descriptor.values, obama.faces[0].descriptor_5pt), 0.01)

        // Several faces and no --face: refused, naming the photo and the count; nothing stored.
        let two = try facegate(["faces", "enroll", "obama", face("two_people.jpg")])
        XCTAssertEqual(two.status, 1)
        XCTAssertEqual(two.stderr.split(separator: "\n").count, 1, two.stderr)
        XCTAssertTrue(two.stderr.contains("two_people.jpg: 2 faces, refused") && two.stderr.contains("--face"), two.stderr)
        XCTAssertEqual(try store.listFaces(member: "obama").count, 1)

        // Several photos: a progress line each. --face 0 takes the leftmost face; the photo
        // already enrolled is reported, not stored twice; a photo without a face is refused.
        let blank = dir.file("blank.bmp").path
        try Data(Self.grayBMP(width: 96, height: 64)).write(to: URL(fileURLWithPath: blank))
        let batch = try facegate(["faces", "enroll", "obama", face("two_people.jpg"), face("obama.jpg"), blank, "--face", "0"])
        XCTAssertEqual(batch.status, 1, "one photo was refused")
        XCTAssertTrue(batch.lines[0].hasPrefix("[1/3] \(face("two_people.jpg")): 2 faces, face 0"), batch.stdout)
        XCTAssertTrue(batch.lines[0].contains("stored"), batch.stdout)
        XCTAssertTrue(batch.lines[1].hasPrefix("[2/3] \(face("obama.jpg")): already enrolled for obama"), batch.stdout)
        XCTAssertTrue(batch.lines[2].hasPrefix("[3/3] \(blank): 0 faces, refused"), batch.stdout)
        XCTAssertTrue(batch.stderr.contains("1 of 3 photos not enrolled for obama"), batch.stderr)

        faces = try store.listFaces(member: "obama")
        XCTAssertEqual(faces.count, 2)
        let twoPeople = try XCTUnwrap(reference["two_people.jpg"])
        let leftmost = try XCTUnwrap(twoPeople.faces.min { $0.box_trbl[3] < $1.box_trbl[3] })
        XCTAssertEqual(faces[1].sourceSHA256, twoPeople.sha256)
        XCTAssertLessThan(distance(faces[1].descriptor.values, leftmost.descriptor_5pt), 0.01)

        let outOfRange = try facegate(["faces", "enroll", "obama", face("obama2.jpg"), "--face", "1"])
        XCTAssertEqual(outOfRange.status, 1)
        XCTAssertTrue(outOfRange.stderr.contains("obama2.jpg: 1 face, refused: --face 1"), outOfRange.stderr)
        let missing = try facegate(["faces", "enroll", "obama", dir.file("nope.jpg").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "facegate: \(dir.file("nope.jpg").path): no such file\n")
        XCTAssertEqual(try facegate(["faces", "enroll", "obama", face("obama.jpg"), "--face", "-1"]).status, 64)
    }

    func testCheckListAndRemoveFaces() throws {
        XCTAssertEqual(try facegate(["faces", "enroll", "obama", face("obama.jpg"), "--create"]).status, 0)
        XCTAssertEqual(try facegate(["faces", "enroll", "biden", face("biden.jpg"), "--create"]).status, 0)
        XCTAssertEqual(try facegate(["grants", "add", "obama", "DC006"]).status, 0)

        let check = try facegate(["faces", "check", face("obama2.jpg"), "--json"])
        XCTAssertEqual(check.status, 0, check.stderr)
        let faces = try XCTUnwrap(check.jsonObject["faces"] as? [[String: Any]], check.stdout)
        XCTAssertEqual(faces.count, 1)
        let nearest = try XCTUnwrap(faces[0]["nearest"] as? [[String: Any]])
        XCTAssertEqual(nearest.compactMap { $0["member"] as? String }, ["obama", "biden"])
        XCTAssertLessThan(try XCTUnwrap(nearest[0]["distance"] as? Double), 0.6)
        XCTAssertGreaterThan(try XCTUnwrap(nearest[1]["distance"] as? Double), 0.6)
        XCTAssertEqual(faces[0]["verdict"] as? String, "match")
        XCTAssertEqual(faces[0]["locks"] as? [String], ["DC006"])

        // Text, two faces left to right, --top 1.
        let text = try facegate(["faces", "check", face("two_people.jpg"), "--top", "1"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.lines
        XCTAssertTrue(lines[0].contains("two_people.jpg: 2 faces") && lines[0].contains("match_threshold 0.5"), text.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("face ") }.count, 2, text.stdout)
        XCTAssertTrue(lines.contains { $0.contains("=> match: obama at") && $0.contains("may open DC006") }, text.stdout)
        XCTAssertTrue(lines.contains { $0.contains("=> match: biden at 0.0") && $0.contains("opens nothing") }, text.stdout)
        let obamaLine = try XCTUnwrap(lines.firstIndex { $0.contains("=> match: obama") })
        let bidenLine = try XCTUnwrap(lines.firstIndex { $0.contains("=> match: biden") })
        XCTAssertLessThan(obamaLine, bidenLine, "Obama is the left face in two_people.jpg")

        let list = try facegate(["faces", "list", "--json"])
        XCTAssertEqual(list.jsonArray.compactMap { $0["member"] as? String }, ["obama", "biden"], list.stdout)
        let bidenID = try XCTUnwrap(list.jsonArray.last?["id"] as? Int)
        XCTAssertEqual(try facegate(["faces", "list", "biden"]).lines.count, 2, "header and one face")
        let removed = try facegate(["faces", "remove", String(bidenID)])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertTrue(removed.stdout.hasPrefix("removed face \(bidenID) of biden"), removed.stdout)
        let again = try facegate(["faces", "remove", String(bidenID)])
        XCTAssertEqual(again.stderr, "facegate: no face with id \(bidenID)\n")
        XCTAssertEqual(try facegate(["faces", "list", "--json"]).jsonArray.count, 1)
    }

    // MARK: audit

    func testAuditTailPrintsRowsAsTextAndJSONAndFollowsNewOnes() throws {
        let store = try GalleryStore(path: databasePath)
        let base: Int64 = 1_750_000_000_000_000_000
        let snapshot = CaptureSnapshot(camera: "cam-a", captureTime: .seconds(12),
                                       lockSessions: [.init(lock: "DC006", session: SessionID(0x5f3a_91c2_0000_0003))],
                                       motion: nil)
        let snapshotJSON = String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
        func entry(_ n: Int64, _ kind: DecisionKind, member: String?, unlocked: [LockID], reason: String) -> AuditEntry {
            AuditEntry(timeWallNs: base + n * 1_000_000_000, camera: "cam-a", txn: DetectingTxn(0x5f3a_91c2_0000_0010 + UInt64(n)),
                       faceIndex: 0, captureMonotonicNs: 12_000_000_000, captureWallNs: base, member: member.map { MemberRef(id: MemberID(1), name: $0) },
                       distance: 0.25 + Double(n) / 100, snapshotJSON: snapshotJSON, unlockedLocks: unlocked, kind: kind, reason: reason)
        }
        try store.appendAudit(entry(1, .unknownFace, member: nil, unlocked: [], reason: "nearest obama at 0.62 is above 0.5"))
        var unlockRow = entry(2, .unlock, member: "obama", unlocked: ["DC006"], reason: "matched obama; unlocked DC006")
        unlockRow.deliveries = [UnlockDelivery(lock: "DC006", qos: 1)]
        let unlockID = try store.appendAudit(unlockRow)
        try store.recordDelivery(auditID: unlockID, lock: "DC006", state: .published, detail: "PUBACK received", wallNs: base)
        try store.recordConfirmation(auditID: unlockID, lock: "DC006", .confirmed, wallNs: base + 1)
        try store.appendAudit(AuditEntry(timeWallNs: base + 3_000_000_000, camera: nil, txn: DetectingTxn(0x77), faceIndex: 0,
                                         captureMonotonicNs: nil, captureWallNs: nil, member: nil, distance: nil, snapshotJSON: nil,
                                         unlockedLocks: [], kind: .unknownTxn, reason: "no pending frame with this txn"))

        let text = try facegate(["audit", "tail", "-n", "2"], environment: ["TZ": "UTC"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.lines.count, 2, text.stdout)
        let unlock = text.lines[0]
        for field in ["camera=cam-a", "txn=5f3a91c200000012", "member=obama", "distance=0.270", "snapshot=DC006",
                      "unlocked=DC006", "delivery=DC006:confirmed", "kind=unlock", "reason=\"matched obama; unlocked DC006\""] {
            XCTAssertTrue(unlock.contains(" \(field)"), "\(field) missing in: \(unlock)")
        }
        XCTAssertTrue(unlock.hasPrefix("2025-06-15T15:06:42.000+00:00 "), unlock)
        for field in ["camera=-", "txn=0000000000000077", "member=unknown", "distance=-", "snapshot=-", "unlocked=-", "delivery=-", "kind=unknown_txn"] {
            XCTAssertTrue(text.lines[1].contains(" \(field)"), "\(field) missing in: \(text.lines[1])")
        }

        let json = try facegate(["audit", "tail", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let rows = json.jsonLines
        XCTAssertEqual(rows.count, 3, json.stdout)
        XCTAssertEqual(rows.compactMap { $0["kind"] as? String }, ["unknown_face", "unlock", "unknown_txn"])
        XCTAssertEqual(rows[0]["member"] as? NSNull, NSNull())
        XCTAssertEqual(rows[1]["member"] as? String, "obama")
        XCTAssertEqual(rows[1]["txn"] as? String, "5f3a91c200000012")
        XCTAssertEqual(rows[1]["unlocked"] as? [String], ["DC006"])
        let delivery = try XCTUnwrap((rows[1]["deliveries"] as? [[String: Any]])?.first, "\(rows[1])")
        XCTAssertEqual(delivery["lock"] as? String, "DC006")
        XCTAssertEqual(delivery["state"] as? String, "published")
        XCTAssertEqual(delivery["detail"] as? String, "PUBACK received")
        XCTAssertEqual(delivery["confirmation"] as? String, "confirmed")
        XCTAssertEqual((rows[0]["deliveries"] as? [Any])?.count, 0, "a denial has no command")
        XCTAssertEqual(rows[1]["time_wall_ns"] as? Int, Int(base + 2_000_000_000))
        let stored = try XCTUnwrap(rows[1]["snapshot"] as? [String: Any])
        XCTAssertEqual((stored["lockSessions"] as? [[String: Any]])?.first?["lock"] as? String, "DC006", "\(stored)")

        // --follow: the last row, then rows appended after it started, until SIGINT.
        let (follow, out) = try start(["audit", "tail", "-n", "1", "--follow", "--json"])
        defer { follow.terminate() }
        func followed() -> [String] {
            ((try? String(contentsOf: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        XCTAssertTrue(waitUntil(timeout: 30) { followed().count == 1 }, follow.log)
        try store.appendAudit(entry(4, .noGrant, member: "biden", unlocked: [], reason: "biden holds no grant for DC006"))
        try store.appendAudit(entry(5, .stale, member: "obama", unlocked: [], reason: "captured 6.0 s ago"))
        XCTAssertTrue(waitUntil(timeout: 30) { followed().count == 3 }, followed().joined(separator: "\n") + follow.log)
        let kinds = followed().compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["kind"] as? String
        }
        XCTAssertEqual(kinds, ["unknown_txn", "no_grant", "stale"])
        follow.signal(SIGINT)
        XCTAssertEqual(follow.waitForExit(timeout: 20), 0, "SIGINT ends --follow cleanly")

        XCTAssertEqual(try facegate(["audit", "tail", "-n", "-1"]).status, 64)
    }

    // MARK: status

    func testStatusAsksTheBrokerOverItsControlSocket() throws {
        let notRunning = try facegate(["status"])
        XCTAssertEqual(notRunning.status, 69)
        XCTAssertEqual(notRunning.stderr, "facegate: the broker is not running: nothing listens on \(dir.path)/run/broker.ctl "
            + "(runtime.sockets_dir in \(configPath!))\n")

        let status = """
            {"audit_failures":0,"audit_queue":3,"audit_queue_capacity":64,"cameras":[{"capture":{"frames_sent":90},"connected":true,"frames_admitted":12,\
            "frames_received":90,"frames_skipped":78,"id":"cam-a"}],"counters":{"decisions":{"no_grant":1,"unlock":2},\
            "audit_queue_full":2,"frames_admitted":12,"frames_skipped":{"empty_snapshot":78},"motion_events":0,"occupancy_events":5,\
            "results":12,"retained_ignored":1,"sessions_opened":3,"txns_discarded":0,"txns_expired":0,"unlocks":2},\
            "frames_dropped":4,"gallery_members":2,"mqtt":{"connected":true,"host":"127.0.0.1","port":1883},\
            "open_sessions":[{"closes_in_s":12.5,"open_for_s":2.5,"session":"5f3a91c200000003","trigger":"lock DC006",\
            "unlocked":["DC006"]}],"pending_txns":1,"pid":4242,"process":"facegate-broker","recognizers":[{"credits":1,\
            "in_flight":0,"name":"r1","peer":"recognizer:r1 pid=77","results":12,"sent":12}],"run":"5f3a91c2",\
            "waiting_frames":0}
            """
        try FileManager.default.createDirectory(at: dir.file("run"), withIntermediateDirectories: true)
        let control = ControlServer(path: dir.file("run/broker.ctl").path, localHello: Hello(role: .broker, name: "broker", pid: 1),
                                    log: Log(component: "test"), hub: TapHub(log: Log(component: "test")), status: { status })
        try control.start()
        defer { control.stop() }

        let json = try facegate(["status", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.stdout, status + "\n", "--json prints the broker's answer as it is")

        let summary = try facegate(["status"])
        XCTAssertEqual(summary.status, 0, summary.stderr)
        let text = summary.stdout
        for expected in ["facegate-broker pid 4242 (run 5f3a91c2), mqtt connected to 127.0.0.1:1883, 2 members in the gallery",
                         "cameras (1):", "cam-a  connected  received 90  sent 12  skipped 78",
                         "open sessions (1):", "lock DC006  session 5f3a91c200000003  open 2.5 s  closes in 12.5 s  unlocked DC006",
                         "recognizers (1):", "recognizer:r1 pid=77  credits 1  in flight 0  sent 12  results 12",
                         "pending txns 1, waiting frames 0, frames dropped 4, audit failures 0, audit queue 3 of 64",
                         "audit_queue_full 2", "occupancy_events 5", "unlocks 2",
                         "decisions: no_grant 1, unlock 2", "frames skipped: empty_snapshot 78"] {
            XCTAssertTrue(text.contains(expected), "missing \"\(expected)\" in:\n\(text)")
        }
    }

    // MARK: Helpers

    func distance(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }

    /// A uniformly grey 24-bit BMP: a valid photo without a face.
    static func grayBMP(width: Int, height: Int) -> [UInt8] {
        let rowBytes = (width * 3 + 3) / 4 * 4
        let size = 54 + rowBytes * height
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xff) } }
        var bytes: [UInt8] = Array("BM".utf8) + le32(size) + le32(0) + le32(54)
        bytes += le32(40) + le32(width) + le32(height) + le16(1) + le16(24) + le32(0) + le32(rowBytes * height)
        bytes += le32(2835) + le32(2835) + le32(0) + le32(0)
        bytes += [UInt8](repeating: 128, count: rowBytes * height)
        return bytes
    }

    /// The photos of `../shared/faces/reference.json` by file name.
    struct Reference: Decodable {
        struct Face: Decodable {
            let box_trbl: [Int]
            let descriptor_5pt: [Float]
        }

        struct Photo: Decodable {
            let file: String
            let sha256: String
            let faces: [Face]
        }

        let images: [Photo]

        static func load() throws -> [String: Photo] {
            let data = try Data(contentsOf: Paths.face("reference.json"))
            let photos = try JSONDecoder().decode(Reference.self, from: data).images
            return Dictionary(photos.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
