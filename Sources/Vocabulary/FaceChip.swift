/// dlib's aligned face chip (the 150×150 picture the descriptor is computed from), encoded
/// small: what the broker keeps with a judged face's audit row and the console shows.
public struct FaceChip: Hashable, Sendable {
    public enum Format: UInt8, Hashable, Sendable, CaseIterable {
        case jpeg = 1

        /// As the store's `face_crop.format` column names it.
        public var name: String {
            switch self {
            case .jpeg: "jpeg"
            }
        }
    }

    /// dlib's chip side, and the most the wire admits on a side.
    public static let side = 150
    public static let maxSide = 1024
    /// A 150×150 JPEG at the recognizer's quality is 4–7 kB; anything near this is not ours.
    public static let maxBytes = 256 * 1024

    public var format: Format
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]

    public init(format: Format, width: Int, height: Int, bytes: [UInt8]) {
        self.format = format; self.width = width; self.height = height; self.bytes = bytes
    }
}
