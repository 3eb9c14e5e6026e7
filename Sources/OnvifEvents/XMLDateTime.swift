import Foundation
import Vocabulary

/// xs:dateTime in UTC, as SOAP messages carry it, without Foundation's formatters (which are
/// neither Sendable nor strict). Instants are nanoseconds since the Unix epoch.
public enum XMLDateTime {
    /// Parses `2024-03-01T12:00:05Z`, `2024-03-01T12:00:05.123Z` or with a `+hh:mm` offset.
    /// A time without a zone is taken as UTC (some cameras omit the Z). nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let s = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
              s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t"),
              s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":") else { return nil }
        guard let year = digits(s, 0, 4), let month = digits(s, 5, 2), let day = digits(s, 8, 2),
              let hour = digits(s, 11, 2), let minute = digits(s, 14, 2), let second = digits(s, 17, 2),
              (1...12).contains(month), (1...31).contains(day), hour <= 24, minute <= 59, second <= 60 else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000_000
            let start = i
            while i < s.count, let d = digit(s[i]) {
                nanos += Int64(d) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if i < s.count {
            if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
                i += 1
            } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                guard s.count - i == 6, s[i + 3] == UInt8(ascii: ":"),
                      let oh = digits(s, i + 1, 2), let om = digits(s, i + 4, 2), oh <= 14, om <= 59 else { return nil }
                offsetSeconds = Int64(oh * 3600 + om * 60) * (s[i] == UInt8(ascii: "+") ? 1 : -1)
                i += 6
            }
        }
        guard i == s.count else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let seconds = days * 86400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        return seconds * 1_000_000_000 + nanos
    }

    /// The instant of a calendar date and time in UTC (ONVIF's tt:DateTime parts).
    public static func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), (0...24).contains(hour), (0...59).contains(minute),
              (0...60).contains(second) else { return nil }
        return (CivilDate.days(year: year, month: month, day: day) * 86400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000_000
    }

    /// `2024-03-01T12:00:05.123Z` (milliseconds, UTC): the form WS-Security's Created takes.
    public static func format(_ nanoseconds: Int64, fractionDigits: Int = 3) -> String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let nanos = nanoseconds - seconds * 1_000_000_000
        var days = seconds / 86400
        var rest = seconds % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        let (y, m, d) = CivilDate.civil(days: days)
        var text = pad(Int(y), 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(Int(rest / 3600), 2) + ":"
            + pad(Int(rest % 3600 / 60), 2) + ":" + pad(Int(rest % 60), 2)
        if fractionDigits > 0 {
            var divisor: Int64 = 1_000_000_000
            for _ in 0..<min(9, fractionDigits) { divisor /= 10 }
            text += "." + pad(Int(nanos / divisor), min(9, fractionDigits))
        }
        return text + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func digits(_ s: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for i in start..<(start + count) {
            guard i < s.count, let d = digit(s[i]) else { return nil }
            value = value * 10 + d
        }
        return value
    }
}
