import BrokerCore
import FacegateConfig
import Vocabulary

/// The TOML configuration, in the decision core's terms.
extension EngineConfiguration {
    init(_ config: FacegateConfiguration) throws {
        let locks = config.locks.map { lock in
            Lock(id: LockID(lock.id), occupancyMax: .seconds(lock.occupancyMax), minUnlockInterval: .seconds(lock.minUnlockInterval),
                 triggerLimit: lock.triggerBurst > 0
                    ? TriggerLimit(burst: lock.triggerBurst, window: .seconds(lock.triggerWindow), quiet: .seconds(lock.triggerQuiet))
                    : nil,
                 policy: LockPolicy(confirmFrames: lock.confirmFrames(config.decision),
                                    confirmWindow: .seconds(lock.confirmWindow(config.decision)),
                                    liveness: lock.liveness(config.decision),
                                    thresholds: config.liveness))
        }
        var cameras: [Camera] = []
        for camera in config.cameras {
            var zones: [LockID: NormalizedRect] = [:]
            for (lock, rect) in camera.zones {
                zones[LockID(lock)] = rect
            }
            let motion = camera.hasMotionTrigger
                ? Motion(locks: camera.motionLocks.map { LockID($0) }, motionMax: .seconds(camera.motionMax))
                : nil
            cameras.append(Camera(id: CameraID(camera.id), locks: camera.locks.map { LockID($0) }, motion: motion, zones: zones,
                                  changeSkipThreshold: camera.changeSkip))
        }
        let d = config.decision
        self.init(locks: locks, cameras: cameras,
                  matching: Matching(threshold: d.matchThreshold, margin: d.matchMargin),
                  maxDecisionAge: .seconds(d.maxDecisionAge), txnCapacity: d.txnCapacity, txnTTL: .seconds(d.txnTTL))
    }
}
