import ProcessSupport

/// A histogram that threads record into while a scrape reads it.
public final class Histogram: Sendable {
    private let state: Locked<HistogramSnapshot>

    public init(bounds: [Double] = HistogramSnapshot.latencySeconds) {
        state = Locked(HistogramSnapshot(bounds: bounds))
    }

    public func observe(_ value: Double) { state.withLock { $0.observe(value) } }

    public var snapshot: HistogramSnapshot { state.withLock { $0 } }
}
