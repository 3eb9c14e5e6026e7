/// Pixel bytes of a frame. Wraps a slice of the received body so decoding a 1 MB frame does
/// not copy its pixels; the slice's odd indices stay hidden behind this type.
public struct PixelData: Sendable, Equatable {
    private let storage: ArraySlice<UInt8>

    public init(_ bytes: [UInt8]) { storage = bytes[...] }
    init(slice: ArraySlice<UInt8>) { storage = slice }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// A zero-based copy.
    public var bytes: [UInt8] { Array(storage) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    public subscript(i: Int) -> UInt8 { storage[storage.startIndex + i] }

    public static func == (a: PixelData, b: PixelData) -> Bool { a.storage.elementsEqual(b.storage) }
}
