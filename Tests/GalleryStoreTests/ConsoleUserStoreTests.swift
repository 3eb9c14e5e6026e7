import Foundation
@testable import GalleryStore
import GRDB
import TestSupport
import XCTest

/// Console accounts and admin actions on real SQLite files.
final class ConsoleUserStoreTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var dbPath: String { dir.file("facegate.sqlite").path }

    override func setUp() { dir = TemporaryDirectory(prefix: "fg-console") }
    override func tearDown() { dir = nil }

    func testAccountsAreAddedListedByNameAndRemoved() throws {
        let store = try GalleryStore(path: dbPath, wallClock: { 42 })
        try store.addConsoleUser(name: "zoe", role: .viewer, passwordHash: "$2b$04$hash-z")
        let ann = try store.addConsoleUser(name: "Ann", role: .admin, passwordHash: "$2b$04$hash-a")
        XCTAssertEqual(ann.role, .admin)
        XCTAssertEqual(try store.listConsoleUsers().map(\.name), ["Ann", "zoe"])
        let credentials = try XCTUnwrap(try store.consoleCredentials(name: "ann"), "names ignore case")
        XCTAssertEqual(credentials.user, ann)
        XCTAssertEqual(credentials.passwordHash, "$2b$04$hash-a")
        XCTAssertNil(try store.consoleCredentials(name: "bob"))
        XCTAssertEqual(try store.removeConsoleUser(name: "ANN").name, "Ann")
        XCTAssertEqual(try store.listConsoleUsers().map(\.name), ["zoe"])
    }

    func testDuplicateUnknownAndBadNamesAreRefusedByName() throws {
        let store = try GalleryStore(path: dbPath)
        try store.addConsoleUser(name: "ann", role: .admin, passwordHash: "h")
        XCTAssertThrowsError(try store.addConsoleUser(name: "ANN", role: .viewer, passwordHash: "h")) {
            XCTAssertEqual($0 as? GalleryStoreError, .duplicateUser("ANN"))
        }
        XCTAssertThrowsError(try store.removeConsoleUser(name: "bob")) {
            XCTAssertEqual("\($0)", "no console user named \"bob\"")
        }
        for bad in ["", "a b", "ann;drop", "ünï"] {
            XCTAssertThrowsError(try store.addConsoleUser(name: bad, role: .viewer, passwordHash: "h"), bad) {
                guard case .invalidUserName? = $0 as? GalleryStoreError else { return XCTFail("\($0)") }
            }
        }
    }

    func testARoleTheSchemaDoesNotKnowIsRefusedByTheDatabaseAndNamedWhenRead() throws {
        let store = try GalleryStore(path: dbPath)
        XCTAssertThrowsError(try store.pool.write {
            try $0.execute(sql: "INSERT INTO console_user (name, role, password_hash, created_wall_ns) VALUES ('x', 'root', 'h', 1)")
        })
        try store.addConsoleUser(name: "ann", role: .admin, passwordHash: "h")
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE console_user SET role = 'root'")
        }
        XCTAssertThrowsError(try store.listConsoleUsers()) {
            XCTAssertEqual("\($0)", "corrupt row 1 in console_user: unknown role root")
        }
    }

    func testAdminActionsAreKeptWithTheirUserNewestFirst() throws {
        let clock = Locked(0 as Int64)
        let store = try GalleryStore(path: dbPath, wallClock: { clock.next() })
        try store.recordAdminAction(user: "ann", action: "member.add", detail: "carol")
        try store.recordAdminAction(user: "cli", action: "user.add", detail: "bob role=viewer")
        let actions = try store.adminActions(limit: 10)
        XCTAssertEqual(actions.map(\.user), ["cli", "ann"])
        XCTAssertEqual(actions.map(\.action), ["user.add", "member.add"])
        XCTAssertEqual(actions.map(\.timeWallNs), [2, 1])
        XCTAssertEqual(try store.adminActions(limit: 1).count, 1)
    }

    func testDecisionFilterIndexesExist() throws {
        let store = try GalleryStore(path: dbPath)
        let names = try store.pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'") }
        XCTAssertEqual(Set(names), ["audit_time", "audit_member_id", "audit_camera_id", "audit_decision_id"])
    }
}

/// A counting clock shared with the store's closure.
/// Reason for @unchecked: its one integer is guarded by its NSLock.
private final class Locked: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ value: Int64) { self.value = value }
    func next() -> Int64 { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
