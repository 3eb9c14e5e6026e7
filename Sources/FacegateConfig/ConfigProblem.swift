/// One thing wrong with a configuration file, at the line an operator has to edit.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    /// 1-based line in the file; 0 when the problem has no place (the file could not be read).
    public let line: Int
    /// 1-based column, known only for TOML syntax errors.
    public let column: Int?
    public let message: String

    public init(line: Int, column: Int? = nil, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        switch (line, column) {
        case (0, _): message
        case (_, nil): "line \(line): \(message)"
        case let (_, column?): "line \(line), column \(column): \(message)"
        }
    }
}

/// Every problem found in a configuration file, thrown by `FacegateConfiguration.load(path:)`.
/// A process refuses to start on any of them: a door controller that guesses what its
/// configuration meant is worse than one that does not start.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file that was read, when there was one.
    public let file: String?
    /// Sorted by line, never empty.
    public let problems: [ConfigProblem]

    public init(file: String?, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    /// One problem per line, `file:line: message` like a compiler, so editors can jump to it.
    public var description: String {
        problems.map { problem in
            let place = [file, problem.line > 0 ? String(problem.line) : nil, problem.column.map(String.init)]
                .compactMap { $0 }.joined(separator: ":")
            return place.isEmpty ? problem.message : "\(place): \(problem.message)"
        }.joined(separator: "\n")
    }
}
