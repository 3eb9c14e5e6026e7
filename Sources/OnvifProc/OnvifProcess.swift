import FacegateConfig
import Foundation
import OnvifEvents
import ProcessSupport
import Synchronization
import WireProtocol

/// facegate-onvif: one camera's ONVIF motion events, fed to the broker.
///
/// A separate process, like capture, because it reads untrusted HTTP and XML from the camera
/// network and long-polls: a hostile or hung camera can stall or crash this process only,
/// never the broker that decides. It subscribes, pulls, renews, and whenever it loses the
/// camera it reports motion off (the off may have been missed) and subscribes again with
/// backoff, forever.
final class OnvifProcess: Sendable {
    struct Options: Sendable {
        var cameraID: String
        var settings: CameraSession.Settings
        var rules: [MotionRule]
        var brokerSocket: String
    }

    private let options: Options
    private let log: Log
    private let stopFlag = StopFlag()
    private let notifier = SystemdNotifier()
    private let link: MotionLink
    private let loopDone = DispatchSemaphore(value: 0)
    /// CLOCK_MONOTONIC of the loop's last turn, for the systemd watchdog.
    private let lastActivity = Atomic<UInt64>(0)

    init(options: Options) {
        self.options = options
        log = Log(component: "onvif").with(["camera": options.cameraID])
        link = MotionLink(socketPath: options.brokerSocket,
                          hello: Hello(role: .motion, name: "facegate-onvif", pid: UInt32(getpid()), camera: options.cameraID),
                          log: log)
    }

    func run() -> Int32 {
        SignalWatcher.ignoreSIGPIPE()
        stopFlag.stopOnTerminationSignals(log: log)
        log.info("facegate-onvif starting", ["device": options.settings.deviceURL.absoluteString, "broker": options.brokerSocket,
                                              "topics": options.rules.map(\.description).joined(separator: "; "), "pid": getpid()])
        link.start()
        lastActivity.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed)
        Thread.detachNewThread { [self] in cameraLoop(); loopDone.signal() }
        notifier.ready(status: "following \(options.cameraID)")
        if let interval = notifier.watchdogInterval {
            Thread.detachNewThread { [self] in watchdogLoop(interval: interval) }
        }
        stopFlag.waitForever()
        notifier.stopping()
        // A pull in flight ends within its own deadline; then the loop unsubscribes.
        let grace = Double(options.settings.pullTimeout) + options.settings.requestTimeout + 3
        if loopDone.wait(timeout: .now() + grace) == .timedOut {
            log.warning("camera call still in flight at shutdown; leaving without Unsubscribe")
        }
        link.report(false, cameraWallNs: 0, detail: "facegate-onvif stopping")
        link.stop()
        log.info("facegate-onvif stopped", ["motion_reports": link.counters.sent])
        return 0
    }

    private func watchdogLoop(interval: Double) {
        // A turn is a long poll (pull_timeout + request_timeout) or, while the camera is away,
        // a backoff wait (30 s at most) and a reconnect of four calls: well past both is stuck.
        let s = options.settings
        let staleAfter = UInt64((2 * (Double(s.pullTimeout) + s.requestTimeout) + 30 + 4 * s.requestTimeout) * 1e9)
        while !stopFlag.wait(seconds: interval) {
            if MonotonicClock.nowNanoseconds() &- lastActivity.load(ordering: .relaxed) < staleAfter { notifier.watchdog() }
        }
    }

    // MARK: The camera

    private func cameraLoop() {
        var backoff = Backoff(initial: 0.5, maximum: 30)
        var failures = 0
        var lastReason = ""
        var aggregator = MotionAggregator(rules: options.rules)
        while !stopFlag.isStopped {
            lastActivity.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed)
            var session = CameraSession(settings: options.settings)
            var subscriptionGone = false
            do {
                try follow(&session, &aggregator) {
                    if failures > 0 {
                        log.info("camera answering again; subscribed", ["after_failures": failures])
                    }
                    failures = 0
                    lastReason = ""
                    backoff.reset()
                }
            } catch {
                // Whatever the camera said last may be over by now: fail-secure.
                aggregator.reset()
                reportMotion(false, at: 0, detail: "camera lost")
                failures += 1
                let reason = "\(error)"
                let kind = reason.prefix(while: { $0 != ":" })
                if failures == 1 || kind != lastReason.prefix(while: { $0 != ":" }) {
                    log.error("camera refused or unreachable; motion off, retrying with backoff: \(reason)", ["failures": failures])
                } else if failures % 10 == 0 {
                    log.warning("camera still failing: \(reason)", ["failures": failures])
                } else {
                    log.debug("camera still failing: \(reason)", ["failures": failures])
                }
                lastReason = reason
                subscriptionGone = CameraSession.subscriptionIsGone(after: error)
            }
            // Cameras hold a handful of subscriptions at most: free one that may still be
            // alive (garbage or a refused Renew), not one the camera said is gone or a camera
            // that is not answering at all.
            if session.subscription != nil && !subscriptionGone {
                do {
                    try session.unsubscribe()
                    log.info("unsubscribed")
                } catch {
                    log.warning("Unsubscribe failed (the camera ends the subscription on its own): \(error)")
                }
            }
            if stopFlag.isStopped { return }
            if stopFlag.wait(seconds: backoff.next()) { return }
        }
    }

    /// Subscribes and pulls until stopped (returns) or the camera fails (throws).
    private func follow(_ session: inout CameraSession, _ aggregator: inout MotionAggregator,
                        subscribed: () -> Void) throws {
        let offset = try session.synchronizeClock()
        let offsetSeconds = Double(offset) / 1e9
        if abs(offsetSeconds) > 5 {
            log.warning("camera clock is off; WS-Security digests are stamped on its clock",
                        ["clock_offset_s": String(format: "%.1f", offsetSeconds)])
        }
        let events = try session.eventServiceURL()
        let subscription = try session.subscribe(events: events)
        log.info("subscribed to camera events", ["events": events.absoluteString, "subscription": subscription.address,
                                                 "expires_in_s": String(format: "%.0f", session.secondsLeft),
                                                 "clock_offset_s": String(format: "%.1f", offsetSeconds)])
        subscribed()
        aggregator.reset()
        while !stopFlag.isStopped {
            lastActivity.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed)
            if session.needsRenewal {
                do {
                    try session.renew()
                    log.debug("subscription renewed", ["expires_in_s": String(format: "%.0f", session.secondsLeft)])
                } catch {
                    throw SubscriptionLost(reason: "Renew refused, subscribing again: \(error)")
                }
            }
            let result = try session.pull()
            if result.unreadable > 0 {
                log.warning("notifications without a topic or message ignored", ["count": result.unreadable])
            }
            for notification in result.notifications {
                if let reading = aggregator.apply(notification) {
                    log.debug("motion notification", ["topic": reading.rule.description, "state": reading.state.map { "\($0)" } ?? "deleted",
                                                      "source": reading.sourceKey, "operation": notification.propertyOperation ?? "-",
                                                      "camera_time": notification.utcTimeNs.map { XMLDateTime.format($0) } ?? "-"])
                    reportMotion(aggregator.isMotion, at: notification.utcTimeNs ?? 0, detail: reading.rule.description)
                } else if let problem = aggregator.problem(notification) {
                    log.warning("motion notification not understood: \(problem)")
                }
            }
        }
    }

    private func reportMotion(_ active: Bool, at cameraWallNs: Int64, detail: String) {
        let changed = link.motionState != active
        link.report(active, cameraWallNs: cameraWallNs, detail: detail)
        if changed {
            log.info("motion \(active ? "on" : "off")", ["detail": detail,
                                                         "camera_time": cameraWallNs == 0 ? "-" : XMLDateTime.format(cameraWallNs),
                                                         "broker_connected": link.isConnected])
        }
    }
}

struct SubscriptionLost: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
