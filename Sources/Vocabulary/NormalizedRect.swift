/// A rectangle in normalized image coordinates: x from 0 (left edge) to 1 (right edge), y from
/// 0 (top) to 1 (bottom). Contains a point when `minX <= x < maxX` and `minY <= y < maxY`, the
/// right and bottom image edges included, so adjacent zones never both claim a point.
public struct NormalizedRect: Hashable, Sendable, Codable, CustomStringConvertible {
    public let minX: Double, minY: Double, maxX: Double, maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) throws {
        for (name, v) in [("minX", minX), ("minY", minY), ("maxX", maxX), ("maxY", maxY)] {
            guard v.isFinite, v >= 0, v <= 1 else { throw ZoneError.outOfRange(name, v) }
        }
        guard minX < maxX else { throw ZoneError.empty("minX \(minX) is not less than maxX \(maxX)") }
        guard minY < maxY else { throw ZoneError.empty("minY \(minY) is not less than maxY \(maxY)") }
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }

    public func contains(x: Double, y: Double) -> Bool {
        let inX = minX <= x && (x < maxX || (maxX == 1 && x <= 1))
        let inY = minY <= y && (y < maxY || (maxY == 1 && y <= 1))
        return inX && inY
    }

    public var description: String { "[\(minX),\(minY))-[\(maxX),\(maxY))" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(minX: c.decode(Double.self, forKey: .minX), minY: c.decode(Double.self, forKey: .minY),
                      maxX: c.decode(Double.self, forKey: .maxX), maxY: c.decode(Double.self, forKey: .maxY))
    }

    private enum CodingKeys: String, CodingKey { case minX, minY, maxX, maxY }
}

public enum ZoneError: Error, Hashable, Sendable, CustomStringConvertible {
    case outOfRange(String, Double)
    case empty(String)

    public var description: String {
        switch self {
        case let .outOfRange(name, v): "zone \(name) = \(v) is outside 0...1"
        case let .empty(why): "zone is empty: \(why)"
        }
    }
}
