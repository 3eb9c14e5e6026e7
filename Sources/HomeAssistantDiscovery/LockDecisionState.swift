import BrokerCore
import Foundation

/// The state of a lock's "last decision" sensor: what was decided at that door, for whom, when.
/// Published as JSON on the lock's decision topic; the sensor's state is `kind` and the whole
/// object becomes its attributes.
public struct LockDecisionState: Hashable, Sendable {
    public var kind: DecisionKind
    /// nil for a face no member matched (and for decisions about no face).
    public var member: String?
    public var camera: String?
    /// Wall-clock time of the decision, nanoseconds since the epoch.
    public var timeWallNs: Int64
    public var reason: String

    public init(kind: DecisionKind, member: String?, camera: String?, timeWallNs: Int64, reason: String) {
        self.kind = kind
        self.member = member
        self.camera = camera
        self.timeWallNs = timeWallNs
        self.reason = reason
    }

    /// What one decision means at each lock it concerns, sorted by lock. A matched face has a
    /// verdict per triggered lock, and a door where it was, say, outside the zone should not
    /// show the `unlock` another door got; a decision without verdicts (an unknown face, a
    /// stale result) is the same at every lock triggered at capture. A decision with no
    /// snapshot (an unknown txn) concerns no lock.
    public static func perLock(_ decision: Decision, timeWallNs: Int64) -> [(lock: LockID, state: LockDecisionState)] {
        let kinds: [(LockID, DecisionKind)] = decision.verdicts.isEmpty
            ? (decision.snapshot?.triggeredLocks ?? []).map { ($0, decision.kind) }
            : decision.verdicts.map { ($0.lock, kind(of: $0.status)) }
        return kinds.sorted { $0.0 < $1.0 }.map { lock, kind in
            (lock, LockDecisionState(kind: kind, member: decision.member?.name, camera: decision.camera?.rawValue,
                                     timeWallNs: timeWallNs, reason: decision.reason))
        }
    }

    static func kind(of status: LockVerdict.Status) -> DecisionKind {
        switch status {
        case .unlocked: .unlock
        case .noGrant: .noGrant
        case .outsideZone: .outsideZone
        case .alreadyUnlocked, .unlockInFlight: .alreadyUnlocked
        case .tooSoon: .tooSoon
        case .awaitingEvidence: .awaitingConfirmation
        case let .policyDenied(denial): DecisionKind(denial)
        case .sessionForgotten: .sessionForgotten
        }
    }

    /// `{"camera":…,"kind":…,"member":…,"reason":…,"time":"2026-12-02T01:02:03.456Z"}`; member
    /// and camera are null when unknown, so a template reading them never fails.
    public var payload: String {
        let body = Body(kind: kind.rawValue, member: member, camera: camera, time: Self.isoTime(timeWallNs), reason: reason)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and nulls only: encoding cannot fail.
        return (try? encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private struct Body: Encodable {
        var kind: String
        var member: String?
        var camera: String?
        var time: String
        var reason: String

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(member, forKey: .member)
            try c.encode(camera, forKey: .camera)
            try c.encode(time, forKey: .time)
            try c.encode(reason, forKey: .reason)
        }

        enum CodingKeys: String, CodingKey { case kind, member, camera, time, reason }
    }

    static func isoTime(_ wallNs: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(wallNs) / 1e9))
    }
}
