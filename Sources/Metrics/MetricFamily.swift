/// One metric as Prometheus sees it: a name, its help and type, and a sample per label set.
///
/// Values are taken when a scrape asks, from the counters the processes already keep for
/// their status: a family is built fresh each time and never stored.
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case counter, gauge, histogram
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

    /// A histogram family with one unlabelled histogram.
    public init(_ name: String, help: String, histogram: HistogramSnapshot) {
        self.init(name, .histogram, help: help, samples: [MetricSample(histogram: histogram)])
    }
}
