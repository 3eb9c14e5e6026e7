import Foundation
import WireProtocol

/// Which credentials may speak for which role on a server socket.
///
/// A role without a binding is accepted from the server's own uid and root, as everywhere
/// else. A bound role is accepted only from its bound uid or gid (and root, which can read
/// the database and trace the broker anyway): a capture running as its own user cannot
/// claim the recognizer role and hand the broker made-up results.
public struct PeerAdmission: Sendable, Equatable {
    /// A uid and/or a gid, either of which admits; `label` names them for log lines.
    public struct Binding: Sendable, Equatable {
        public var uid: UInt32?
        public var gid: UInt32?
        public var label: String

        public init(uid: UInt32?, gid: UInt32?, label: String) {
            self.uid = uid
            self.gid = gid
            self.label = label
        }
    }

    public var bindings: [PeerRole: Binding]
    public var ownUID: UInt32

    public init(bindings: [PeerRole: Binding], ownUID: UInt32 = UInt32(geteuid())) {
        self.bindings = bindings
        self.ownUID = ownUID
    }

    /// Whether any of `roles` is bound (the socket must then let other users connect).
    public func bindsAny(of roles: Set<PeerRole>) -> Bool { roles.contains { bindings[$0] != nil } }

    public func admits(_ peer: PeerCredentials, as role: PeerRole) -> Bool {
        if peer.uid == 0 { return true }
        guard let binding = bindings[role] else { return peer.uid == ownUID }
        return binding.uid == peer.uid || binding.gid == peer.gid
    }

    public func admitsAny(of roles: Set<PeerRole>, _ peer: PeerCredentials) -> Bool {
        roles.contains { admits(peer, as: $0) }
    }

    /// Who `role` is accepted from, for the log line of a refusal.
    public func expected(for role: PeerRole) -> String {
        guard let binding = bindings[role] else { return "uid \(ownUID) (the broker's own) or root" }
        return "\(binding.label) or root"
    }
}
