/// A dlib ResNet face descriptor: 128 finite floats. Invalid values cannot be represented, so
/// matching never meets a NaN distance that would compare as "not above the threshold".
public struct FaceDescriptor: Hashable, Sendable, Codable {
    public static let dimension = 128

    public let values: [Float]

    public init(_ values: [Float]) throws {
        guard values.count == Self.dimension else {
            throw FaceDescriptorError.wrongDimension(values.count)
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw FaceDescriptorError.nonFinite(index: i)
        }
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode([Float].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }

    /// Euclidean distance, as dlib and face_recognition compute it.
    public func distance(to other: FaceDescriptor) -> Double {
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                Double(Self.squaredDistance(a.baseAddress!, b.baseAddress!)).squareRoot()
            }
        }
    }
}

public enum FaceDescriptorError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongDimension(Int)
    case nonFinite(index: Int)

    public var description: String {
        switch self {
        case let .wrongDimension(n): "face descriptor has \(n) values, expected \(FaceDescriptor.dimension)"
        case let .nonFinite(i): "face descriptor value \(i) is not a finite number"
        }
    }
}

extension FaceDescriptor {
    /// Sum of squared differences over `FaceDescriptor.dimension` floats. Inlinable: the gallery
    /// scan in BrokerCore runs it once per stored descriptor per face.
    @inlinable
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        // Four accumulators let the optimizer vectorize without reassociation flags.
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i < FaceDescriptor.dimension {
            let d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3]
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
            i += 4
        }
        return (s0 + s1) + (s2 + s3)
    }
}
