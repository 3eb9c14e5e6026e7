/// Running totals for `facegate status`, logs and benchmarks.
public struct EngineCounters: Hashable, Sendable {
    public var occupancyEvents = 0
    public var motionEvents = 0
    /// Retained activations, ignored by design.
    public var retainedIgnored = 0
    /// Events for a lock or camera the configuration does not know.
    public var unknownTriggerEvents = 0
    public var sessionsOpened = 0
    /// Sessions found to have outlived `occupancy_max` / `motion_max` without an off.
    public var sessionsExpired = 0
    /// Sessions dropped early because a trigger exceeded the history limit.
    public var sessionsForgotten = 0
    /// Instants earlier than one already seen, moved forward to keep the past immutable.
    public var clampedInstants = 0
    public var framesAdmitted = 0
    public var framesSkipped: [FrameSkipReason: Int] = [:]
    public var txnsExpired = 0
    public var txnsEvicted = 0
    public var txnsDiscarded = 0
    public var results = 0
    public var decisions: [DecisionKind: Int] = [:]
    /// The same decisions per lock they concerned (a decision about two locks counts for each).
    public var decisionsByLock: [DecisionTally: Int] = [:]
    /// Unlock commands delivered (handed to MQTT: PUBACK, or a QoS 0 TOGGLE written or of
    /// unknown fate), one per lock. Decided unlocks are `decisions[.unlock]`.
    public var unlocks = 0
    /// Unlock commands decided but not delivered.
    public var unlocksFailed = 0
    /// Trigger floods that suspended a lock's sessions.
    public var triggerSuspensions = 0
    /// Matched faces recorded into face tracks (locks with a policy), and frames dropped from
    /// tracks to stay within their memory limits.
    public var trackFrames = 0
    public var trackFramesDropped = 0

    public init() {}
}
