import FacegateConfig
import WireProtocol
import WireTransport

extension PeerAdmission {
    /// The broker's sockets admit what `[roles]` binds; nil (today's own-uid-or-root rule
    /// everywhere) when nothing is bound.
    init?(_ roles: RoleSettings) {
        guard !roles.isEmpty else { return nil }
        func binding(_ role: RoleBinding?, _ key: String) -> Binding? {
            role.map { Binding(uid: $0.uid, gid: $0.gid, label: "\($0) ([roles] \(key)_user/\(key)_group)") }
        }
        var bindings: [PeerRole: Binding] = [:]
        bindings[.capture] = binding(roles.capture, "capture")
        bindings[.recognizer] = binding(roles.recognizer, "recognizer")
        bindings[.motion] = binding(roles.motion, "motion")
        // The tap and the admin CLI share the control socket and the one operator binding.
        bindings[.tap] = binding(roles.admin, "admin")
        bindings[.admin] = binding(roles.admin, "admin")
        self.init(bindings: bindings)
    }
}
