import Foundation

/// How the CLI prints: aligned tables for people, JSON for programs, times in one format.
enum Output {
    /// Sorted keys, slashes unescaped: stable output that diffs and greps well.
    static func json(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A header row over `rows`, see `table(_:)`.
    static func table(_ header: [String], _ rows: [[String]]) -> String { table([header] + rows) }

    /// Columns padded to their widest cell, two spaces apart; no trailing blanks.
    static func table(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i == widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trailingBlanksRemoved
        }.joined(separator: "\n")
    }

    /// Local time with milliseconds and UTC offset: `2025-03-01T14:05:09.123+01:00`.
    static func localTime(wallNs: Int64) -> String {
        localFormatter.string(from: date(wallNs))
    }

    /// UTC, for JSON: `2025-03-01T13:05:09.123Z`.
    static func utcTime(wallNs: Int64) -> String {
        utcFormatter.string(from: date(wallNs))
    }

    static func distance(_ d: Double) -> String { String(format: "%.3f", d) }

    private static func date(_ wallNs: Int64) -> Date { Date(timeIntervalSince1970: Double(wallNs) / 1e9) }

    private static let localFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSxxxxx"
        return f
    }()

    private static let utcFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return f
    }()
}

extension String {
    var trailingBlanksRemoved: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
