import FacegateConfig

/// Everything the admin CLI refuses or cannot do, each naming what was wrong. Printed as one
/// line after `facegate: `.
enum AdminError: Error, CustomStringConvertible {
    /// The configuration file could not be read or has problems.
    case configuration(file: String, ConfigError)
    /// A read-only command on a database nobody has created yet.
    case noDatabase(path: String, configFile: String)
    case unknownLock(String, known: [String], configFile: String)
    case unknownMember(String, hint: String)
    case unreadablePhoto(path: String, reason: String)
    /// `faces enroll` with one photo: the line saying why it was refused.
    case photoRefused(String)
    /// Loading the dlib models or running the engine failed.
    case faceEngine(String)
    /// `faces enroll`: some photos were refused; their lines say why.
    case photosNotEnrolled(refused: Int, total: Int, member: String)
    case brokerNotRunning(socket: String, configFile: String)
    case brokerUnreachable(socket: String, reason: String)
    case brokerReply(socket: String, reason: String)
    /// `mqtt acl`: the configuration cannot give a closed bus.
    case mqttACL(String)
    /// `users add`: no password, or one too short.
    case weakPassword(String)

    var exitCode: Int32 {
        switch self {
        case .brokerNotRunning, .brokerUnreachable: 69
        default: 1
        }
    }

    var description: String {
        switch self {
        case let .configuration(file, error):
            let problems = error.problems
            if problems.count == 1, problems[0].line == 0 { return problems[0].message }
            let first = ConfigError(file: file, problems: [problems[0]]).description
            let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
            return "\(first)\(more); run `facegate config check \(file)` for every problem"
        case let .noDatabase(path, configFile):
            return "no database at \(path) (runtime.database in \(configFile)); `facegate members add` or the broker creates it"
        case let .unknownLock(lock, known, configFile):
            let list = known.isEmpty ? "it configures no locks" : "known locks: \(known.joined(separator: ", "))"
            return "unknown lock \"\(lock)\": \(configFile) has no [[locks]] entry with that id (\(list))"
        case let .unknownMember(name, hint):
            return "no member named \"\(name)\" (\(hint))"
        case let .photoRefused(line):
            return line
        case let .mqttACL(reason):
            return reason
        case let .weakPassword(reason):
            return reason
        case let .unreadablePhoto(path, reason):
            return "\(path): \(reason)"
        case let .faceEngine(reason):
            return reason
        case let .photosNotEnrolled(refused, total, member):
            return "\(refused) of \(total) photos not enrolled for \(member) (see the lines above)"
        case let .brokerNotRunning(socket, configFile):
            return "the broker is not running: nothing listens on \(socket) (runtime.sockets_dir in \(configFile))"
        case let .brokerUnreachable(socket, reason):
            return "cannot reach the broker at \(socket): \(reason)"
        case let .brokerReply(socket, reason):
            return "unexpected answer from the broker at \(socket): \(reason)"
        }
    }
}
