import Prometheus

/// Prometheus's text exposition format, version 0.0.4, written by swift-prometheus.
public enum Exposition {
    /// swift-prometheus names a metric by its parts; ours are whole names already (an empty
    /// unit adds nothing to the joined name).
    public static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// What `/metrics` answers with; Prometheus picks its parser from it.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Buckets for seconds from 5 ms to 30 s: a frame judged at once, one a loaded recognizer
    /// held, one `max_decision_age` would refuse.
    public static let secondsBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// `families` (values read now) through a registry made for this scrape alone, then the
    /// histograms `recorded` holds. Integral values are written as integers; counters must
    /// not be negative (they are counts).
    public static func text(_ families: [MetricFamily], recorded: PrometheusCollectorRegistry? = nil) -> String {
        let scrape = PrometheusCollectorRegistry()
        for family in families {
            for sample in family.samples {
                let labels = sample.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                switch family.kind {
                case .counter:
                    let counter = scrape.makeCounter(descriptor: descriptor(family.name, help: family.help), labels: labels)
                    if sample.value == sample.value.rounded(), sample.value >= 0, sample.value < 9.2e18 {
                        counter.increment(by: Int64(sample.value))
                    } else {
                        counter.increment(by: sample.value)
                    }
                case .gauge:
                    scrape.makeGauge(descriptor: descriptor(family.name, help: family.help), labels: labels).set(to: sample.value)
                }
            }
        }
        return scrape.emitToString() + (recorded?.emitToString() ?? "")
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
}
