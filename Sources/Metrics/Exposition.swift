import Foundation

/// Prometheus's text exposition format, version 0.0.4: `# HELP`, `# TYPE`, one line per
/// sample, histograms as cumulative `_bucket{le="..."}` lines ending at `+Inf`, `_sum` and
/// `_count`.
public enum Exposition {
    /// What `/metrics` answers with; Prometheus picks its parser from it.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func text(_ families: [MetricFamily]) -> String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                switch sample.value {
                case let .number(value):
                    out += line(family.name, sample.labels, value)
                case let .histogram(h):
                    for (bound, cumulative) in zip(h.bounds, h.cumulativeCounts) {
                        out += line(family.name + "_bucket", sample.labels, Double(cumulative), le: number(bound))
                    }
                    out += line(family.name + "_bucket", sample.labels, Double(h.count), le: "+Inf")
                    out += line(family.name + "_sum", sample.labels, h.sum)
                    out += line(family.name + "_count", sample.labels, Double(h.count))
                }
            }
        }
        return out
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, what Prometheus accepts as a metric name.
    public static func isValidMetricName(_ name: String) -> Bool { isValid(name, allowColon: true) }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
    public static func isValidLabelName(_ name: String) -> Bool { isValid(name, allowColon: false) && !name.hasPrefix("__") }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || (allowColon && c == ":") }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }

    private static func line(_ name: String, _ labels: [String: String], _ value: Double, le: String? = nil) -> String {
        var pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escapeLabel($0.value))\"" }
        if let le { pairs.append("le=\"\(le)\"") }
        return pairs.isEmpty ? "\(name) \(number(value))\n" : "\(name){\(pairs.joined(separator: ","))} \(number(value))\n"
    }

    /// Integral values without a fraction (counters read as counts), others as Go's
    /// ParseFloat reads them; the infinities and NaN as Prometheus spells them.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    private static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }
}
