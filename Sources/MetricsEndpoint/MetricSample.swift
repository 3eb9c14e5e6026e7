/// One labelled value of a family.
public struct MetricSample: Sendable, Equatable {
    /// Label name → value; written sorted by name.
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String] = [:], value: Double) {
        self.labels = labels
        self.value = value
    }
}
