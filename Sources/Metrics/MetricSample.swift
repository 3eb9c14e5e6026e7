/// One labelled value of a family: a number (counter, gauge) or a whole histogram.
public struct MetricSample: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Double)
        case histogram(HistogramSnapshot)
    }

    /// Label name → value; written sorted by name, so a scrape is the same text for the same state.
    public var labels: [String: String]
    public var value: Value

    public init(labels: [String: String] = [:], value: Double) {
        self.labels = labels
        self.value = .number(value)
    }

    public init(labels: [String: String] = [:], histogram: HistogramSnapshot) {
        self.labels = labels
        value = .histogram(histogram)
    }
}
