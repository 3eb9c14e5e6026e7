#if canImport(Glibc)
import Glibc
#endif

/// The host user and/or group a role's process must run as, as written in `[roles]` and
/// resolved to ids when the file is read (so config check fails on a host without them).
public struct RoleBinding: Equatable, Sendable, CustomStringConvertible {
    public var uid: UInt32?
    public var gid: UInt32?
    /// The names as written, for log lines an operator can match against the file.
    public var userName: String?
    public var groupName: String?

    public init(uid: UInt32? = nil, gid: UInt32? = nil, userName: String? = nil, groupName: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
    }

    /// `uid 991 (facegate-capture) or gid 990 (facegate)`.
    public var description: String {
        var parts: [String] = []
        if let uid { parts.append("uid \(uid)" + (userName.map { " (\($0))" } ?? "")) }
        if let gid { parts.append("gid \(gid)" + (groupName.map { " (\($0))" } ?? "")) }
        return parts.joined(separator: " or ")
    }

    /// A user name or a numeric uid; nil with the reason when the host has no such user.
    static func resolveUser(_ text: String) -> (id: UInt32?, problem: String?) {
        if let id = UInt32(text) { return (id, nil) }
        guard let entry = getpwnam(text) else { return (nil, "no user \"\(text)\" on this host") }
        return (entry.pointee.pw_uid, nil)
    }

    static func resolveGroup(_ text: String) -> (id: UInt32?, problem: String?) {
        if let id = UInt32(text) { return (id, nil) }
        guard let entry = getgrnam(text) else { return (nil, "no group \"\(text)\" on this host") }
        return (entry.pointee.gr_gid, nil)
    }
}
