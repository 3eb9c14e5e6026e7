import Synchronization
@testable import WebConsole
import XCTest

/// Sessions on an injected clock: idle expiry, touch on use, logout, per-user end.
final class SessionStoreTests: XCTestCase {
    final class Clock: Sendable {
        let t = Mutex(0.0)
        func advance(_ s: Double) { t.withLock { $0 += s } }
        var now: Double { t.withLock { $0 } }
    }

    func testSessionsExpireWhenIdleAndLiveWhileUsed() {
        let clock = Clock()
        let store = SessionStore(idleSeconds: 60, now: { clock.now })
        let s = store.create(user: "ann", role: .admin)
        XCTAssertNotEqual(s.token, s.csrfToken)
        XCTAssertEqual(s.token.count, 43, "32 random bytes, base64url without padding")
        clock.advance(50)
        XCTAssertEqual(store.session(token: s.token)?.user, "ann")
        clock.advance(50)
        XCTAssertNotNil(store.session(token: s.token), "used 50 s ago, not 100")
        clock.advance(61)
        XCTAssertNil(store.session(token: s.token))
        XCTAssertNil(store.session(token: "forged"))
    }

    func testLogoutAndRemovedAccountsEndSessions() {
        let store = SessionStore(idleSeconds: 60, now: { 0 })
        let a = store.create(user: "ann", role: .admin)
        let b = store.create(user: "Bob", role: .viewer)
        let b2 = store.create(user: "bob", role: .viewer)
        store.end(token: a.token)
        XCTAssertNil(store.session(token: a.token))
        store.end(user: "BOB")
        XCTAssertNil(store.session(token: b.token))
        XCTAssertNil(store.session(token: b2.token))
    }
}
