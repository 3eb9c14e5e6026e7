/// Reads the logfmt lines every facegate process writes (ProcessSupport.Log):
/// `level=info component=broker lock=DC001 change="opened(…)" msg="occupancy true"`.
enum Logfmt {
    /// The fields of one line; a key given twice keeps its last value. Text that is not
    /// `key=value` is skipped, so a stray line yields no fields rather than an error.
    static func fields(_ line: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex, line[i] == " " { i = line.index(after: i) }
            let keyStart = i
            while i < line.endIndex, line[i] != "=", line[i] != " " { i = line.index(after: i) }
            let key = String(line[keyStart..<i])
            guard i < line.endIndex, line[i] == "=", !key.isEmpty else {
                if i < line.endIndex { i = line.index(after: i) }
                continue
            }
            i = line.index(after: i)
            var value = ""
            if i < line.endIndex, line[i] == "\"" {
                i = line.index(after: i)
                while i < line.endIndex, line[i] != "\"" {
                    if line[i] == "\\", line.index(after: i) < line.endIndex {
                        i = line.index(after: i)
                        switch line[i] {
                        case "n": value.append("\n")
                        case "r": value.append("\r")
                        case "t": value.append("\t")
                        default: value.append(line[i])
                        }
                    } else {
                        value.append(line[i])
                    }
                    i = line.index(after: i)
                }
                if i < line.endIndex { i = line.index(after: i) }
            } else {
                while i < line.endIndex, line[i] != " " { value.append(line[i]); i = line.index(after: i) }
            }
            fields[key] = value
        }
        return fields
    }

    static func fields(_ line: String) -> [String: String] { fields(line[...]) }
}
