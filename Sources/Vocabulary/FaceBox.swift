/// A face's rectangle in pixels of the frame it was found in, dlib's convention: `right` and
/// `bottom` are the last pixel column/row inside it (width = right - left + 1).
public struct FaceBox: Hashable, Sendable, Codable, CustomStringConvertible {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    public var width: Int { right - left + 1 }
    public var height: Int { bottom - top + 1 }

    /// No pixel inside (left past right or top past bottom): what a box wholly past the image's
    /// edge becomes when clipped. The wire admits no such face.
    public var isEmpty: Bool { left > right || top > bottom }

    /// The box trimmed to an image of `size`.
    public func clipped(to size: ImageSize) -> FaceBox {
        FaceBox(left: max(left, 0), top: max(top, 0), right: min(right, size.width - 1), bottom: min(bottom, size.height - 1))
    }

    /// The box centre in normalized image coordinates (0...1 across and down), nil when the
    /// image size is unusable.
    public func normalizedCentre(in size: ImageSize) -> (x: Double, y: Double)? {
        guard size.width > 0, size.height > 0 else { return nil }
        let x = Double(left + right) / 2 / Double(size.width)
        let y = Double(top + bottom) / 2 / Double(size.height)
        return (x, y)
    }

    public var description: String { "(l \(left), t \(top), r \(right), b \(bottom))" }
}

/// Width and height in pixels of a captured frame.
public struct ImageSize: Hashable, Sendable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }
}
