import Vocabulary

/// A frame reduced to 32×18 grey cells: enough to tell "the scene changed" from "the same
/// scene again" at a cost that does not depend on the camera's resolution.
///
/// Each cell is the mean of up to 8×8 pixels sampled evenly inside it, not of every pixel: a
/// 720p RGB frame costs ~37,000 reads instead of 2.7 million, and averaging 64 samples
/// already flattens sensor noise and compression ringing well below the skip threshold.
public struct FrameThumbnail: Hashable, Sendable {
    public static let columns = 32
    public static let rows = 18
    static let samplesPerAxis = 8

    /// Row-major, `columns × rows` grey levels 0...255.
    public let cells: [UInt8]

    public init(cells: [UInt8]) {
        precondition(cells.count == Self.columns * Self.rows, "a thumbnail has \(Self.columns * Self.rows) cells")
        self.cells = cells
    }

    /// nil when the buffer is smaller than `stride × height` or a dimension is not positive:
    /// such a frame cannot be compared, so it is never skipped.
    public init?(pixels: UnsafeRawBufferPointer, format: PixelFormat, width: Int, height: Int, stride: Int) {
        let bpp = format.bytesPerPixel
        guard width > 0, height > 0, stride >= width * bpp, pixels.count >= stride * (height - 1) + width * bpp else {
            return nil
        }
        let n = Self.samplesPerAxis
        var cells = [UInt8](repeating: 0, count: Self.columns * Self.rows)
        for row in 0..<Self.rows {
            let y0 = row * height / Self.rows, y1 = max(y0 + 1, (row + 1) * height / Self.rows)
            for column in 0..<Self.columns {
                let x0 = column * width / Self.columns, x1 = max(x0 + 1, (column + 1) * width / Self.columns)
                var sum = 0, count = 0
                for sy in 0..<n {
                    let y = min(height - 1, y0 + (2 * sy + 1) * (y1 - y0) / (2 * n))
                    for sx in 0..<n {
                        let x = min(width - 1, x0 + (2 * sx + 1) * (x1 - x0) / (2 * n))
                        let at = y * stride + x * bpp
                        if bpp == 3 {
                            // ITU-R BT.601 luma in integers.
                            sum += (77 * Int(pixels[at]) + 150 * Int(pixels[at + 1]) + 29 * Int(pixels[at + 2])) >> 8
                        } else {
                            sum += Int(pixels[at])
                        }
                        count += 1
                    }
                }
                cells[row * Self.columns + column] = UInt8(sum / count)
            }
        }
        self.cells = cells
    }

    /// The largest difference of one cell between the two, in grey levels. The largest and not
    /// the mean: a face entering a wide shot changes a handful of cells, and a mean over all
    /// 576 would dilute it below any threshold that also ignores noise.
    public func largestCellDifference(to other: FrameThumbnail) -> Int {
        var largest = 0
        for i in cells.indices {
            largest = max(largest, abs(Int(cells[i]) - Int(other.cells[i])))
        }
        return largest
    }

    /// Mean absolute difference per cell, for logs and benchmarks.
    public func meanDifference(to other: FrameThumbnail) -> Double {
        var total = 0
        for i in cells.indices { total += abs(Int(cells[i]) - Int(other.cells[i])) }
        return Double(total) / Double(cells.count)
    }
}
