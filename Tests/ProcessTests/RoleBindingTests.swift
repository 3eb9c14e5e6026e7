import Foundation
import TestSupport
import XCTest

/// `[roles]` on real processes under real, different uids (setpriv from util-linux): the
/// broker runs as its own user, like the shipped units, and a recognizer started under the
/// capture user is refused with a line naming the role, the peer and what was expected; the
/// same recognizer under the recognizer user is served.
final class RoleBindingTests: XCTestCase {
    private static let group = "fgtest-shared"
    private static let users = ["fgtest-broker", "fgtest-capture", "fgtest-recognizer"]

    /// Throwaway system accounts, created once per host (idempotent: existing ones are kept).
    private static func ensureAccounts() throws {
        if getgrnam(group) == nil { try run("/usr/sbin/groupadd", ["--system", group], okIfExists: true) }
        for user in users where getpwnam(user) == nil {
            try run("/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                    okIfExists: true)
        }
    }

    /// Runs a tool; exit 9 of useradd/groupadd (the name exists: another test got there first) is fine.
    private static func run(_ tool: String, _ arguments: [String], okIfExists: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || (okIfExists && process.terminationStatus == 9) else {
            throw NSError(domain: "RoleBindingTests", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")) failed"])
        }
    }

    private static func uid(_ user: String) -> UInt32 { getpwnam(user)!.pointee.pw_uid }
    private static func gid(ofUser user: String) -> UInt32 { getpwnam(user)!.pointee.pw_gid }
    private static var sharedGID: UInt32 { getgrnam(group)!.pointee.gr_gid }

    /// `executable` as `user`: its own primary group, the shared group for the sockets.
    private func launch(_ executable: String, _ arguments: [String], as user: String, primaryGID: UInt32? = nil,
                        in dir: TemporaryDirectory, name: String) throws -> ChildProcess {
        let gid = primaryGID ?? Self.gid(ofUser: user)
        return try ChildProcess(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                ["--reuid=\(Self.uid(user))", "--regid=\(gid)", "--groups=\(Self.sharedGID)",
                                 Paths.executable(executable).path] + arguments,
                                logDirectory: dir.url, name: name)
    }

    func testARecognizerUnderTheCaptureUserIsRefusedAndUnderItsOwnUserServed() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root: creates users and runs processes as them") }
        try Self.ensureAccounts()
        let dir = TemporaryDirectory(prefix: "fgrole")
        let config = dir.file("facegate.toml")
        try """
        [runtime]
        sockets_dir = "\(dir.file("run").path)"
        database = "\(dir.file("facegate.sqlite").path)"

        [mqtt]
        # No mosquitto here: the broker retries in the background, its sockets serve meanwhile.
        port = \(freeLoopbackPort())
        username = "facegate"
        password = "unused"

        [[locks]]
        id = "DC001"

        [[cameras]]
        id = "cam-a"
        source = "test://black"
        locks = ["DC001"]

        [recognizer]
        models_dir = "\(Paths.modelsDirectory.path)"
        threads = 1

        [roles]
        capture_user = "fgtest-capture"
        recognizer_user = "fgtest-recognizer"
        """.write(to: config, atomically: true, encoding: .utf8)
        // The broker's user owns the directory; the others reach it through the shared group.
        try Self.run("/bin/chown", ["-R", "fgtest-broker:\(Self.group)", dir.path])
        try Self.run("/bin/chmod", ["0770", dir.path])

        let broker = try launch("facegate-broker", ["--config", config.path], as: "fgtest-broker",
                                primaryGID: Self.sharedGID, in: dir, name: "broker")
        defer { broker.terminate(grace: 5) }
        XCTAssertTrue(broker.waitForLog("msg=\"broker ready\"", timeout: 30), broker.log)

        let impostor = try launch("facegate-recognizer", ["--config", config.path, "--name", "impostor"],
                                  as: "fgtest-capture", in: dir, name: "impostor")
        defer { impostor.terminate(grace: 5) }
        let refusal = "msg=\"refusing peer: credentials not allowed for role recognizer\""
        XCTAssertTrue(broker.waitForLog(refusal, timeout: 60), broker.log + impostor.log)
        let line = try XCTUnwrap(broker.log.split(separator: "\n").first { $0.contains(refusal) })
        XCTAssertTrue(line.contains("role=recognizer"), String(line))
        XCTAssertTrue(line.contains("peer_uid=\(Self.uid("fgtest-capture"))"), String(line))
        XCTAssertTrue(line.contains("peer_gid=\(Self.gid(ofUser: "fgtest-capture"))"), String(line))
        XCTAssertTrue(line.contains("peer_pid="), String(line))
        XCTAssertTrue(line.contains("uid \(Self.uid("fgtest-recognizer")) (fgtest-recognizer)"), String(line))

        let recognizer = try launch("facegate-recognizer", ["--config", config.path, "--name", "real"],
                                    as: "fgtest-recognizer", in: dir, name: "recognizer")
        defer { recognizer.terminate(grace: 5) }
        XCTAssertTrue(recognizer.waitForLog("msg=\"connected to broker\"", timeout: 60), recognizer.log + broker.log)
        XCTAssertFalse(impostor.log.contains("msg=\"connected to broker\""), impostor.log)
        XCTAssertEqual(broker.log.components(separatedBy: "credentials not allowed").count - 1,
                       broker.log.components(separatedBy: "credentials not allowed for role recognizer").count - 1,
                       "only the impostor was refused\n\(broker.log)")
    }
}
