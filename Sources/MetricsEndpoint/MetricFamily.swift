/// One metric read from a process's own counters at a scrape: a name, its help and type, and
/// a value per label set.
///
/// Built fresh at each scrape and never stored, so no value is kept twice: the process's
/// status counters stay the only copy. (Histograms are the exception: no status holds their
/// buckets, so they are recorded as things happen into a `PrometheusCollectorRegistry` that
/// `Exposition.text` appends.)
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case counter, gauge
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [MetricSample]

    public init(_ name: String, _ kind: Kind, help: String, samples: [MetricSample]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    /// A family with one unlabelled value.
    public init(_ name: String, _ kind: Kind, help: String, value: Double) {
        self.init(name, kind, help: help, samples: [MetricSample(value: value)])
    }
}
