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
        // Explicit 8-lane vectors: the scalar loop with four accumulators compiled, across the
        // module boundary, into a call with shuffles per step (measured 10-18 % fewer decisions/s
        // in `facegate-bench broker`). 128 is a multiple of 8.
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var sum = SIMD8<Float>()
        var offset = 0
        while offset < 128 * MemoryLayout<Float>.stride {
            let d = ra.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            sum += d * d
            offset += MemoryLayout<SIMD8<Float>>.stride
        }
        return sum.sum()
    }
}
