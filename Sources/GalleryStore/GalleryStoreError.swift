import BrokerCore

/// Everything the store refuses, each naming what was wrong. The CLI prints `description`.
public enum GalleryStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// The file was written by a newer facegate (migrations this build does not know).
    case schemaTooNew(path: String)
    case invalidMemberName(String, reason: String)
    case duplicateMemberName(String)
    case unknownMember(String)
    case invalidLockID(String, reason: String)
    case duplicateGrant(member: String, lock: LockID)
    case unknownGrant(member: String, lock: LockID)
    case invalidSourceHash(String)
    case invalidField(name: String, reason: String)
    case duplicateFace(member: String, sourceSHA256: String, model: String)
    case unknownFace(Int64)
    case invalidUserName(String, reason: String)
    case duplicateUser(String)
    case unknownUser(String)
    case unknownAuditRow(Int64)
    case duplicateCrop(auditID: Int64)
    case noCrop(auditID: Int64)
    /// A matched member's crop keeps no descriptor, so there is nothing to enroll from it.
    case cropWithoutDescriptor(auditID: Int64)
    /// A stored row no longer decodes (edited by hand, or a disk fault).
    case corruptRow(table: String, id: Int64, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open gallery database \(path): \(reason)"
        case let .schemaTooNew(path): "gallery database \(path) was written by a newer facegate; upgrade this one"
        case let .invalidMemberName(name, reason): "invalid member name \(quoted(name)): \(reason)"
        case let .duplicateMemberName(name): "a member named \(quoted(name)) already exists"
        case let .unknownMember(name): "no member named \(quoted(name))"
        case let .invalidLockID(lock, reason): "invalid lock id \(quoted(lock)): \(reason)"
        case let .duplicateGrant(member, lock): "\(member) already holds a grant for \(lock)"
        case let .unknownGrant(member, lock): "\(member) holds no grant for \(lock)"
        case let .invalidSourceHash(hash): "source image hash \(quoted(hash)) is not 64 lowercase hex digits (sha256)"
        case let .invalidField(name, reason): "invalid \(name): \(reason)"
        case let .duplicateFace(member, hash, model):
            "\(member) already has a face from image \(hash.prefix(12))… with model \(model)"
        case let .unknownFace(id): "no face with id \(id)"
        case let .invalidUserName(name, reason): "invalid user name \(quoted(name)): \(reason)"
        case let .duplicateUser(name): "a console user named \(quoted(name)) already exists"
        case let .unknownUser(name): "no console user named \(quoted(name))"
        case let .unknownAuditRow(id): "no audit row with id \(id)"
        case let .duplicateCrop(id): "audit row \(id) already has a face crop"
        case let .noCrop(id): "audit row \(id) has no face crop (none was kept, or it was pruned)"
        case let .cropWithoutDescriptor(id):
            "the face crop of audit row \(id) has no descriptor (only faces no member matched keep one); it cannot be enrolled"
        case let .corruptRow(table, id, reason): "corrupt row \(id) in \(table): \(reason)"
        }
    }
}

private func quoted(_ s: String) -> String {
    "\"" + s.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        .joined() + "\""
}
