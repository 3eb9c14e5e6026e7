import Foundation
import GalleryStore
import Synchronization

/// A logged-in browser: who, with which role, and the token its forms must carry.
public struct ConsoleSession: Sendable, Hashable {
    public var token: String
    public var user: String
    public var role: ConsoleRole
    /// Every form and every API change from the browser carries it (field `csrf` or header
    /// `X-CSRF-Token`): another site can make the browser send the cookie, not read this.
    public var csrfToken: String
    public var lastSeen: Double
}

/// Sessions in memory: a restart of facegate-web logs everyone out, which is fine for a
/// console, and no session secret ever reaches the disk.
public final class SessionStore: Sendable {
    private let sessions = Mutex<[String: ConsoleSession]>([:])
    private let idle: Double
    private let now: @Sendable () -> Double

    public init(idleSeconds: Double, now: @escaping @Sendable () -> Double) {
        self.idle = idleSeconds
        self.now = now
    }

    public func create(user: String, role: ConsoleRole) -> ConsoleSession {
        let session = ConsoleSession(token: Self.randomToken(), user: user, role: role, csrfToken: Self.randomToken(),
                                     lastSeen: now())
        sessions.withLock { $0[session.token] = session }
        return session
    }

    /// The session of `token` if it has not been idle too long; touching it keeps it alive.
    public func session(token: String) -> ConsoleSession? {
        let t = now()
        return sessions.withLock { all in
            guard var s = all[token] else { return nil }
            guard t - s.lastSeen < idle else {
                all[token] = nil
                return nil
            }
            s.lastSeen = t
            all[token] = s
            return s
        }
    }

    public func end(token: String) { _ = sessions.withLock { $0.removeValue(forKey: token) } }

    /// Ends every session of `user` (the account was removed or its role changed).
    public func end(user: String) {
        sessions.withLock { all in all = all.filter { $0.value.user.lowercased() != user.lowercased() } }
    }

    /// 32 random bytes as URL-safe base64 (from the system's CSPRNG).
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
