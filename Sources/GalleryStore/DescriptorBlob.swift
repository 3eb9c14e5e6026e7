import BrokerCore
import Foundation
import Vocabulary

/// A descriptor stored as 128 little-endian IEEE-754 float32 values (512 bytes), whatever the
/// host's byte order.
enum DescriptorBlob {
    static let byteCount = FaceDescriptor.dimension * 4

    static func encode(_ descriptor: FaceDescriptor) -> Data {
        var data = Data(capacity: byteCount)
        for v in descriptor.values {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) throws -> FaceDescriptor {
        guard data.count == byteCount else { throw FaceDescriptorError.wrongDimension(data.count / 4) }
        var values = [Float](repeating: 0, count: FaceDescriptor.dimension)
        data.withUnsafeBytes { raw in
            for i in 0..<FaceDescriptor.dimension {
                values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
        return try FaceDescriptor(values)
    }
}
