import TOMLKit

/// Collects every problem of one document, each placed at the line of the key it is about.
final class ProblemCollector {
    private let index: KeyLineIndex
    private(set) var problems: [ConfigProblem] = []

    init(index: KeyLineIndex) { self.index = index }

    func add(_ path: [String], _ message: String) {
        let place = ProblemCollector.display(path)
        problems.append(ConfigProblem(line: index.line(of: path) ?? 0,
                                      message: place.isEmpty ? message : "\(place): \(message)"))
    }

    /// A problem about a key that may have been left to its default: placed at the first of
    /// `paths` written in the file (e.g. the key, else its table's `enabled`).
    func add(firstWritten paths: [[String]], _ message: String) {
        add(paths.first { index.line(of: $0) != nil } ?? paths[0], message)
    }

    /// `["cameras", "[1]", "locks"]` → `cameras[1].locks`.
    static func display(_ path: [String]) -> String {
        var out = ""
        for component in path {
            if component.hasPrefix("[") || out.isEmpty {
                out += component
            } else {
                out += "." + component
            }
        }
        return out
    }
}

/// Reads the keys of one TOML table with types, defaults and ranges, reporting every mistake
/// to the collector instead of stopping at the first. Keys that no reader asked for are
/// reported as unknown by `finish()`: a misspelt `ocupancy_max` must not silently fall back
/// to the default.
final class TableReader {
    let table: TOMLTable
    let path: [String]
    let problems: ProblemCollector
    private var asked: [String] = []

    init(table: TOMLTable, path: [String], problems: ProblemCollector) {
        self.table = table
        self.path = path
        self.problems = problems
    }

    func problem(_ key: String, _ message: String) { problems.add(path + [key], message) }

    func raw(_ key: String) -> TOMLValueConvertible? {
        if !asked.contains(key) { asked.append(key) }
        return table[key]
    }

    func has(_ key: String) -> Bool { raw(key) != nil }

    private func wrongType(_ key: String, _ value: TOMLValueConvertible, expected: String) {
        problem(key, "must be \(expected), not \(TableReader.describe(value.type))")
    }

    static func describe(_ type: TOMLType) -> String {
        switch type {
        case .int: "an integer"
        case .double: "a number with a fraction"
        case .string: "a string"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "a date/time"
        }
    }

    func string(_ key: String) -> String? {
        guard let value = raw(key) else { return nil }
        guard let string = value.string else { wrongType(key, value, expected: "a string"); return nil }
        return string
    }

    func string(_ key: String, default fallback: String) -> String {
        string(key) ?? fallback
    }

    /// A string that must not be empty.
    func nonEmptyString(_ key: String) -> String? {
        guard let value = string(key) else { return nil }
        guard !value.isEmpty else { problem(key, "must not be empty"); return nil }
        return value
    }

    func required(_ key: String) -> String? {
        guard has(key) else {
            problems.add(path, "missing required key \"\(key)\"")
            return nil
        }
        return nonEmptyString(key)
    }

    func choice(_ key: String, _ allowed: [String], default fallback: String) -> String {
        guard let value = string(key) else { return fallback }
        guard allowed.contains(value) else {
            problem(key, "must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(value)\"")
            return fallback
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = raw(key) else { return fallback }
        guard let bool = value.bool else { wrongType(key, value, expected: "true or false"); return fallback }
        return bool
    }

    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let value = raw(key) else { return fallback }
        guard let int = value.int else { wrongType(key, value, expected: "an integer"); return fallback }
        guard range.contains(int) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(int)")
            return fallback
        }
        return int
    }

    /// A number (integer or float) such as a duration in seconds.
    func number(_ key: String) -> Double? {
        guard let value = raw(key) else { return nil }
        if let int = value.int { return Double(int) }
        if let double = value.double {
            if double.isFinite { return double }
            problem(key, "must be a finite number, not \(double.isNaN ? "nan" : double > 0 ? "inf" : "-inf")")
            return nil
        }
        wrongType(key, value, expected: "a number")
        return nil
    }

    /// A number in `range`; `exclusiveLower` for durations and rates that must be positive.
    func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>, exclusiveLower: Bool = false) -> Double {
        guard let value = number(key) else { return fallback }
        let low = range.lowerBound, high = range.upperBound
        if value > high || value < low || (exclusiveLower && value == low) {
            let lowText = TableReader.format(low), highText = TableReader.format(high)
            if exclusiveLower && high == .greatestFiniteMagnitude {
                problem(key, "must be greater than \(lowText), not \(TableReader.format(value))")
            } else if exclusiveLower {
                problem(key, "must be greater than \(lowText) and at most \(highText), not \(TableReader.format(value))")
            } else {
                problem(key, "must be between \(lowText) and \(highText), not \(TableReader.format(value))")
            }
            return fallback
        }
        return value
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// An array of strings; wrong elements are reported at their own line.
    func stringArray(_ key: String) -> [String]? {
        guard let value = raw(key) else { return nil }
        guard let array = value.array else { wrongType(key, value, expected: "an array of strings"); return nil }
        var out: [String] = []
        for (offset, element) in array.enumerated() {
            if let string = element.string {
                out.append(string)
            } else {
                problems.add(path + [key, KeyLineIndex.element(offset)],
                             "must be a string, not \(TableReader.describe(element.type))")
            }
        }
        return out
    }

    func subtable(_ key: String) -> TableReader? {
        guard let value = raw(key) else { return nil }
        guard let table = value.table else { wrongType(key, value, expected: "a table"); return nil }
        return TableReader(table: table, path: path + [key], problems: problems)
    }

    /// Reports every key nobody asked for, suggesting the nearest known key.
    func finish() {
        for key in table.keys where !asked.contains(key) {
            let nearest = asked.map { ($0, TableReader.editDistance($0, key)) }.min { $0.1 < $1.1 }
            if let (suggestion, distance) = nearest, distance <= 2 {
                problem(key, "unknown key (did you mean \"\(suggestion)\"?)")
            } else {
                problem(key, "unknown key")
            }
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
