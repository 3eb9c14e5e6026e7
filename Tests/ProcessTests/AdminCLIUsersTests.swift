import Foundation
import GalleryStore
import HummingbirdBcrypt
import TestSupport
import XCTest

/// `facegate users`: the real executable, the password on standard input.
final class AdminCLIUsersTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var configPath: String { dir.file("facegate.toml").path }
    private var runs = 0

    override func setUp() {
        dir = TemporaryDirectory(prefix: "fgusers")
        try! """
            [runtime]
            sockets_dir = "run"
            database = "gallery.sqlite"

            [[locks]]
            id = "DC001"

            [[cameras]]
            id = "cam-a"
            source = "test:"
            locks = ["DC001"]
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    override func tearDown() { dir = nil }

    /// `facegate ARGS --config FILE < stdin`: status, stdout, stderr.
    private func facegate(_ arguments: [String], stdin: String = "") throws -> (status: Int32, stdout: String, stderr: String) {
        runs += 1
        let input = dir.file("stdin-\(runs).txt")
        let output = dir.file("stdout-\(runs).txt")
        try stdin.write(to: input, atomically: true, encoding: .utf8)
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                     ["-c", "exec \"$0\" \"$@\" < \"$FG_STDIN\" > \"$FG_STDOUT\"", Paths.executable("facegate").path]
                                        + arguments + ["--config", configPath],
                                     environment: ["FG_STDIN": input.path, "FG_STDOUT": output.path],
                                     logDirectory: dir.url, name: "facegate-\(runs)")
        guard let status = child.waitForExit(timeout: 60) else {
            _ = child.terminate()
            XCTFail("facegate \(arguments) did not finish")
            return (-1, "", child.log)
        }
        return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "", child.log)
    }

    func testAddReadsThePasswordFromStdinAndStoresOnlyABcryptHash() throws {
        let add = try facegate(["users", "add", "ann", "--role", "admin", "--cost", "4"], stdin: "correct horse battery\n")
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertEqual(add.stdout, "added console user ann (admin)\n")

        let store = try GalleryStore(path: dir.file("gallery.sqlite").path)
        let (user, hash) = try XCTUnwrap(try store.consoleCredentials(name: "ann"))
        XCTAssertEqual(user.role, .admin)
        XCTAssertTrue(hash.hasPrefix("$2b$04$"), hash)
        XCTAssertFalse(hash.contains("horse"))
        XCTAssertTrue(Bcrypt.verify("correct horse battery", hash: hash))
        XCTAssertFalse(Bcrypt.verify("correct horse battery\n", hash: hash), "the line's newline is not part of the password")

        let list = try facegate(["users", "list", "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["ann"])
        XCTAssertEqual(rows.map { $0["role"] as? String }, ["admin"])

        let remove = try facegate(["users", "remove", "ANN"])
        XCTAssertEqual(remove.status, 0, remove.stderr)
        XCTAssertEqual(remove.stdout, "removed console user ann (admin)\n")
        XCTAssertEqual(try store.listConsoleUsers(), [])
        XCTAssertEqual(try store.adminActions(limit: 10).map { "\($0.user) \($0.action) \($0.detail)" },
                       ["cli user.remove ann", "cli user.add ann role=admin"])
    }

    func testShortOrMissingPasswordsBadRolesAndDuplicatesAreRefusedByName() throws {
        let short = try facegate(["users", "add", "ann"], stdin: "short\n")
        XCTAssertEqual(short.status, 1)
        XCTAssertEqual(short.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "facegate: the password has 5 characters; at least 10 are needed")
        let none = try facegate(["users", "add", "ann"], stdin: "")
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("facegate: no password on standard input"), none.stderr)
        let role = try facegate(["users", "add", "ann", "--role", "root"], stdin: "long enough password\n")
        XCTAssertEqual(role.status, 64, role.stderr)
        XCTAssertTrue(role.stderr.contains("--role must be viewer or admin, got \"root\""), role.stderr)
        let argv = try facegate(["users", "add", "ann", "--password", "long enough password"])
        XCTAssertEqual(argv.status, 64, "no option takes a password on the command line")

        XCTAssertEqual(try facegate(["users", "add", "ann", "--cost", "4"], stdin: "long enough password\n").status, 0)
        let again = try facegate(["users", "add", "Ann", "--cost", "4"], stdin: "long enough password\n")
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("facegate: a console user named \"Ann\" already exists"), again.stderr)
        let unknown = try facegate(["users", "remove", "bob"])
        XCTAssertTrue(unknown.stderr.contains("facegate: no console user named \"bob\""), unknown.stderr)
    }
}
