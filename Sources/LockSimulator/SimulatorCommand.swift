import Foundation

/// One thing the simulated locks are told to do, from a script line or the control channel.
enum SimulatorCommand: Equatable {
    /// The keypad is touched: `{"occupancy":true}`, then `false` after the hold time.
    case touch(lock: String)
    /// The false comes now (and the pending one is cancelled).
    case release(lock: String)
    /// The pending false is lost: it never comes (a dropped Zigbee report).
    case loseFalse(lock: String)
    /// Publish an arbitrary payload on the lock's state topic (bad input tests).
    case send(lock: String, payload: String)
    /// Publish an arbitrary payload on any topic (camera motion events in demo scripts).
    case publish(topic: String, payload: String)
    /// The lock obeys commands but never reports its state (a dead radio on the way back).
    case dead(lock: String)
    /// The lock loses commands: neither obeyed nor reported (recorded as `command-lost`).
    case lose(lock: String)
    /// Back to obeying and reporting.
    case heal(lock: String)
    case quit

    static let usage = "commands: touch LOCK | release LOCK | lose-false LOCK | send LOCK PAYLOAD | publish TOPIC PAYLOAD | dead LOCK | lose LOCK | heal LOCK | quit"

    /// Parses `touch DC001`; nil for a blank line or a `#` comment.
    static func parse(_ line: String) throws -> SimulatorCommand? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        let (verb, rest) = split(trimmed)
        let (argument, payload) = split(rest)
        func needsLock() throws -> String {
            guard !argument.isEmpty, payload.isEmpty else { throw SimulatorCommandError("\"\(verb)\" takes one lock name") }
            return argument
        }
        switch verb {
        case "touch": return .touch(lock: try needsLock())
        case "release": return .release(lock: try needsLock())
        case "lose-false": return .loseFalse(lock: try needsLock())
        case "dead": return .dead(lock: try needsLock())
        case "lose": return .lose(lock: try needsLock())
        case "heal": return .heal(lock: try needsLock())
        case "send", "publish":
            guard !argument.isEmpty else { throw SimulatorCommandError("\"\(verb)\" needs a \(verb == "send" ? "lock" : "topic") and a payload") }
            return verb == "send" ? .send(lock: argument, payload: payload) : .publish(topic: argument, payload: payload)
        case "quit":
            guard rest.isEmpty else { throw SimulatorCommandError("\"quit\" takes no argument") }
            return .quit
        default:
            throw SimulatorCommandError("unknown command \"\(verb)\" (\(usage))")
        }
    }

    /// First word and the rest of the line (payloads keep their inner spaces).
    private static func split(_ text: String) -> (String, String) {
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (text, "") }
        return (String(text[..<space]), text[space...].trimmingCharacters(in: .whitespaces))
    }
}

struct SimulatorCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A script: lines `@SECONDS command`, times in scenario seconds from the moment the simulator
/// is connected and subscribed (real time = scenario time × --time-scale).
struct SimulatorScript: Equatable {
    struct Step: Equatable {
        let at: Double
        let command: SimulatorCommand
        let line: Int
    }

    let steps: [Step]

    /// Every bad line is reported, with its number.
    init(text: String) throws {
        var steps: [Step] = []
        var problems: [String] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("@") else {
                problems.append("line \(offset + 1): expected \"@SECONDS command\", got \"\(line)\"")
                continue
            }
            let parts = line.dropFirst().split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let time = parts.first.flatMap({ Double($0) }), time.isFinite, time >= 0 else {
                problems.append("line \(offset + 1): \"\(parts.first ?? "")\" is not a time in seconds")
                continue
            }
            do {
                guard parts.count == 2, let command = try SimulatorCommand.parse(String(parts[1])) else {
                    problems.append("line \(offset + 1): no command after @\(parts[0])")
                    continue
                }
                steps.append(Step(at: time, command: command, line: offset + 1))
            } catch {
                problems.append("line \(offset + 1): \(error)")
            }
        }
        guard problems.isEmpty else { throw SimulatorCommandError(problems.joined(separator: "\n")) }
        // Stable: steps at the same time keep their written order.
        self.steps = steps.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}
