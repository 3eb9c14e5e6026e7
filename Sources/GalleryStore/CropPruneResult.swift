/// What one `pruneCrops` pass removed.
public struct CropPruneResult: Sendable, Hashable {
    public var deleted: Int
    /// Bytes of the deleted crops: their images plus their descriptors.
    public var bytesFreed: Int64

    public init(deleted: Int, bytesFreed: Int64) { self.deleted = deleted; self.bytesFreed = bytesFreed }
}
