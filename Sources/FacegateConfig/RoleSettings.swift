/// `[roles]`: which host users may act as which facegate process on the broker's sockets.
///
/// Without a binding a role is accepted from the broker's own uid and root (one user for
/// everything). Bound, a capture running as its own user cannot pose as a recognizer and
/// return made-up results, nor a recognizer feed frames: the broker checks the claimed role
/// against the peer's SO_PEERCRED uid/gid. Keys: `capture_user`, `capture_group`,
/// `recognizer_user`, `recognizer_group`, `motion_user`, `motion_group` (facegate-onvif),
/// `admin_user`, `admin_group` (admin covers the tap and
/// the admin CLI on the broker's control socket); each a name or a numeric id. A peer is
/// accepted when its uid is the role's user or its primary gid is the role's group.
public struct RoleSettings: Equatable, Sendable {
    public var capture: RoleBinding?
    public var recognizer: RoleBinding?
    /// facegate-onvif, which reports camera motion on the broker's motion socket.
    public var motion: RoleBinding?
    public var admin: RoleBinding?

    public init(capture: RoleBinding? = nil, recognizer: RoleBinding? = nil, motion: RoleBinding? = nil, admin: RoleBinding? = nil) {
        self.capture = capture
        self.recognizer = recognizer
        self.motion = motion
        self.admin = admin
    }

    public var isEmpty: Bool { capture == nil && recognizer == nil && motion == nil && admin == nil }

    init(_ reader: TableReader) {
        capture = RoleSettings.binding(reader, "capture")
        recognizer = RoleSettings.binding(reader, "recognizer")
        motion = RoleSettings.binding(reader, "motion")
        admin = RoleSettings.binding(reader, "admin")
        reader.finish()
    }

    private static func binding(_ reader: TableReader, _ role: String) -> RoleBinding? {
        let user = id(reader, "\(role)_user", RoleBinding.resolveUser)
        let group = id(reader, "\(role)_group", RoleBinding.resolveGroup)
        guard user.given || group.given else { return nil }
        // A binding with an unresolvable half is reported; keeping the other half alone would
        // quietly accept fewer or other peers than the operator wrote.
        guard user.given == (user.id != nil), group.given == (group.id != nil) else { return nil }
        return RoleBinding(uid: user.id, gid: group.id, userName: user.name, groupName: group.name)
    }

    private static func id(_ reader: TableReader, _ key: String,
                           _ resolve: (String) -> (id: UInt32?, problem: String?)) -> (given: Bool, id: UInt32?, name: String?) {
        guard let value = reader.raw(key) else { return (false, nil, nil) }
        if let int = value.int {
            guard int >= 0, int < Int(UInt32.max) else {
                reader.problem(key, "must be a user or group id between 0 and \(UInt32.max - 1), not \(int)")
                return (true, nil, nil)
            }
            return (true, UInt32(int), nil)
        }
        guard let text = value.string else {
            reader.problem(key, "must be a name or a numeric id, not \(TableReader.describe(value.type))")
            return (true, nil, nil)
        }
        guard !text.isEmpty else { reader.problem(key, "must not be empty"); return (true, nil, nil) }
        let (id, problem) = resolve(text)
        if let problem { reader.problem(key, problem) }
        return (true, id, UInt32(text) == nil ? text : nil)
    }
}
