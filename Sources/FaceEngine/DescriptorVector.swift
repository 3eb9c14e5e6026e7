/// dlib's 128-dimensional face descriptor. Two descriptors of the same person are usually
/// less than 0.6 apart (Euclidean), of different people more.
public struct DescriptorVector: Sendable, Equatable, Hashable {
    public static let length = 128

    public let values: [Float]

    /// nil unless `values` has exactly 128 finite numbers.
    public init?(_ values: [Float]) {
        guard values.count == Self.length, values.allSatisfy(\.isFinite) else { return nil }
        self.values = values
    }

    init(unchecked values: [Float]) { self.values = values }

    public func distance(to other: DescriptorVector) -> Double {
        Self.euclideanDistance(values, other.values)
    }

    /// Euclidean distance, accumulated in Double. Arrays of different length are infinitely
    /// far apart rather than a crash.
    public static func euclideanDistance(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var sum = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum.squareRoot()
    }
}
