/// `[crops]`: the small picture the broker keeps of every face it judges (dlib's aligned chip,
/// a ~5.6 kB JPEG, in the database beside the face's audit row), and how long it keeps them.
///
/// The defaults fit a Raspberry-Pi-sized disk (a 16-32 GB SD card): at most 200 MB of crops
/// (about 35,000 faces), none older than 30 days, whichever limit is reached first; the
/// oldest go first. The audit rows themselves are kept whatever happens to their crops.
public struct CropSettings: Equatable, Sendable {
    /// false: no crop is kept (the recognizer still sends them; the broker drops them).
    public var enabled: Bool
    /// Crops older than this many days are deleted.
    public var maxAgeDays: Double
    /// The crops' images and descriptors together take at most this many megabytes (10^6 bytes).
    public var maxTotalMB: Double
    /// Seconds between two prunes (the first one at the broker's start).
    public var pruneInterval: Double

    public init(enabled: Bool = true, maxAgeDays: Double = 30, maxTotalMB: Double = 200, pruneInterval: Double = 600) {
        self.enabled = enabled
        self.maxAgeDays = maxAgeDays
        self.maxTotalMB = maxTotalMB
        self.pruneInterval = pruneInterval
    }

    public var maxAgeNanoseconds: Int64 { Int64((maxAgeDays * 86_400 * 1e9).rounded()) }
    public var maxTotalBytes: Int64 { Int64((maxTotalMB * 1e6).rounded()) }

    init(_ reader: TableReader) {
        let defaults = CropSettings()
        enabled = reader.bool("enabled", default: defaults.enabled)
        maxAgeDays = reader.number("max_age_days", default: defaults.maxAgeDays, in: 0...36_500, exclusiveLower: true)
        maxTotalMB = reader.number("max_total_mb", default: defaults.maxTotalMB, in: 0...1_000_000, exclusiveLower: true)
        pruneInterval = reader.number("prune_interval", default: defaults.pruneInterval, in: 0...86_400, exclusiveLower: true)
        reader.finish()
    }
}
