/// Euclidean distance between two descriptors as the reference's Python computes it (numpy,
/// float64): what our descriptors are compared against, independently of `FaceDescriptor`'s own.
func referenceDistance(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    var sum = 0.0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        sum += d * d
    }
    return sum.squareRoot()
}
