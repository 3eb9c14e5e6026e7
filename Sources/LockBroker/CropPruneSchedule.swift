import BrokerCore
import FacegateConfig
import GalleryStore

/// When the broker prunes the face crops: at its first housekeeping round, then once every
/// `[crops] prune_interval`. Pure (the caller passes CLOCK_MONOTONIC's reading), so the
/// rhythm is tested without waiting.
struct CropPruneSchedule: Sendable {
    let settings: CropSettings
    private var next: MonotonicInstant?

    init(settings: CropSettings) { self.settings = settings }

    /// True when a prune is due at `now`; the next one is then due `prune_interval` later
    /// (not earlier because a round came late).
    mutating func due(now: MonotonicInstant) -> Bool {
        guard settings.enabled else { return false }
        if let next, now < next { return false }
        next = now + .seconds(settings.pruneInterval)
        return true
    }

    /// One prune with the configured limits, at wall-clock `nowWallNs`.
    func prune(_ store: GalleryStore, nowWallNs: Int64) throws -> CropPruneResult {
        try store.pruneCrops(nowWallNs: nowWallNs, maxAgeNs: settings.maxAgeNanoseconds, maxTotalBytes: settings.maxTotalBytes)
    }
}
