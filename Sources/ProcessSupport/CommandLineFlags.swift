/// The daemons' command lines: `--flag value`, `--flag=value` and bare `--flag`, each taken
/// at most once; whatever no option claimed is an error (`rejectLeftovers`), so a misspelt
/// flag never silently falls back to a default. (The interactive tools use
/// swift-argument-parser; the daemons keep to this so a unit file reads like their usage text.)
public struct CommandLineFlags {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        case missing(String)
        case invalid(flag: String, value: String, expected: String)
        case unknown(String)

        public var description: String {
            switch self {
            case let .missing(flag): "missing \(flag)"
            case let .invalid(flag, value, expected): "\(flag) \(value): expected \(expected)"
            case let .unknown(argument): "unknown argument '\(argument)'"
            }
        }
    }

    private var pairs: [(flag: String, value: String?)] = []

    public init(_ arguments: [String]) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("-") else { throw Problem.unknown(argument) }
            if let eq = argument.firstIndex(of: "=") {
                pairs.append((String(argument[..<eq]), String(argument[argument.index(after: eq)...])))
            } else if index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") {
                pairs.append((argument, arguments[index + 1]))
                index += 1
            } else {
                pairs.append((argument, nil))
            }
            index += 1
        }
    }

    public mutating func bool(_ flag: String) -> Bool {
        guard let index = pairs.firstIndex(where: { $0.flag == flag && $0.value == nil }) else { return false }
        pairs.remove(at: index)
        return true
    }

    public mutating func value(_ flag: String) throws -> String? {
        guard let index = pairs.firstIndex(where: { $0.flag == flag }) else { return nil }
        guard let value = pairs.remove(at: index).value else {
            throw Problem.invalid(flag: flag, value: "(nothing)", expected: "a value")
        }
        return value
    }

    public mutating func number(_ flag: String, positive: Bool) throws -> Double? {
        guard let text = try value(flag) else { return nil }
        guard let number = Double(text), number.isFinite, !positive || number > 0 else {
            throw Problem.invalid(flag: flag, value: text, expected: positive ? "a positive number" : "a number")
        }
        return number
    }

    public mutating func integer(_ flag: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try value(flag) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw Problem.invalid(flag: flag, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    public func rejectLeftovers() throws {
        if let first = pairs.first { throw Problem.unknown(first.flag) }
    }
}
