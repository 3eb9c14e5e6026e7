import Vocabulary

/// What a door needs from detection, in the operator's terms: the smallest face that must be
/// found (pixels across in the camera's frame) and where faces may be (the camera's lock
/// zones, fractions of the frame). `plan(frame:upsample:)` turns it into what the engine
/// scans: a region of the frame and the width the detector sees it at.
public struct DoorDetection: Sendable, Equatable {
    /// dlib's frontal HOG detector scans an 80x80 window: a face is found when it is about
    /// that big at the scale the detector sees it.
    public static let hogWindow = 80.0
    /// A face at the limit is shown to the detector this much bigger than the window, so that
    /// one at exactly `minFacePx` is still found (the reference faces need it: FaceEngineTests).
    public static let scaleMargin = 1.25
    /// Zones bound where a face's centre may be; the scanned region reaches this fraction of
    /// the frame's shorter side beyond them: the rest of a face as tall as half the frame whose
    /// centre is on the zone's edge, and the detector's context around it. (A margin of a
    /// fixed share of the width lost the 155 px face of a 424 px photo: DetectionPlanTests.)
    public static let zoneMargin = 0.4

    public var minFacePx: Int
    /// Empty: the whole frame.
    public var zones: [NormalizedRect]

    public init(minFacePx: Int, zones: [NormalizedRect] = []) {
        self.minFacePx = minFacePx
        self.zones = zones
    }

    /// The smallest `minFacePx` an engine upsampling `upsample` times can honour at full resolution.
    public static func smallestFace(upsample: Int) -> Int { Int((hogWindow * scaleMargin).rounded(.up)) >> upsample }

    /// The region to scan and the detection width for a frame of this size, for an engine
    /// that upsamples `upsample` times (its route then picks the doublings it still needs).
    public func plan(frame: ImageSize, upsample: Int) -> DetectionPlan {
        var region = DetectionPlan.Region(x: 0, y: 0, width: frame.width, height: frame.height)
        if !zones.isEmpty {
            let margin = Self.zoneMargin * Double(min(frame.width, frame.height))
            let x0 = max(0, zones.map(\.minX).min()! * Double(frame.width) - margin)
            let y0 = max(0, zones.map(\.minY).min()! * Double(frame.height) - margin)
            let x1 = min(Double(frame.width), zones.map(\.maxX).max()! * Double(frame.width) + margin)
            let y1 = min(Double(frame.height), zones.map(\.maxY).max()! * Double(frame.height) + margin)
            // Fractions such as 0.85 are not exact in binary: a hair is forgiven either way.
            let left = Int((x0 + 1e-9).rounded(.down)), top = Int((y0 + 1e-9).rounded(.down))
            region = DetectionPlan.Region(x: left, y: top, width: max(1, Int((x1 - 1e-9).rounded(.up)) - left),
                                          height: max(1, Int((y1 - 1e-9).rounded(.up)) - top))
        }
        // Width the detector must see the region at, and what the engine's route is given:
        // the width before its `upsample` doublings (it adds or drops doublings as needed).
        let scale = Self.hogWindow * Self.scaleMargin / Double(max(1, minFacePx))
        let detectionWidth = Int((Double(region.width) * scale).rounded(.up))
        let cap = max(32, (detectionWidth + (1 << upsample) - 1) >> upsample)
        let whole = region.x == 0 && region.y == 0 && region.width == frame.width && region.height == frame.height
        return DetectionPlan(region: whole ? nil : region, maxDetectWidth: cap < region.width ? cap : nil)
    }
}

/// What the engine scans for one frame: a region (nil: the whole frame) and the width it is
/// shown to the detector at before upsampling (nil: its own width). Boxes and landmarks come
/// back in the frame's coordinates; descriptors use the full frame.
public struct DetectionPlan: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    public var region: Region?
    public var maxDetectWidth: Int?

    public init(region: Region? = nil, maxDetectWidth: Int? = nil) {
        self.region = region
        self.maxDetectWidth = maxDetectWidth
    }
}
