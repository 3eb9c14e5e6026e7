import BrokerCore
import MetricsEndpoint

/// The broker's Prometheus series. Each scrape reads the status the control socket answers
/// with (`BrokerStatus`) and the engine's per-lock decision counts; only what no status
/// counted before is tallied for metrics (`Tallies`), and the latency histogram is recorded
/// into the broker's registry as frames are decided (`latencyName`).
enum BrokerMetrics {
    /// What the broker counts for metrics alone, under its stats lock.
    struct Tallies: Sendable, Equatable {
        /// MQTT connections made (the first, then each reconnect).
        var mqttConnects = 0
        /// Lock → `confirmed` / `unconfirmed` → commands whose lock said (or did not say) it opened.
        var confirmations: [String: [String: Int]] = [:]
    }

    static let latencyName = "facegate_capture_to_decision_seconds"
    static let latencyHelp = "From a frame's capture (CLOCK_MONOTONIC, stamped by facegate-capture) to the broker's decisions on it."

    static func families(status: BrokerStatus, decisionsByLock: [DecisionTally: Int], tallies: Tallies) -> [MetricFamily] {
        let c = status.counters
        var families: [MetricFamily] = []
        families.append(MetricFamily("facegate_decisions_total", .counter,
            help: "Decisions by kind (the audit's kind) and the lock they concerned; lock is empty for a decision about no lock.",
            samples: decisionsByLock.sorted { ($0.key.kind.rawValue, $0.key.lock) < ($1.key.kind.rawValue, $1.key.lock) }
                .map { MetricSample(labels: ["kind": $0.key.kind.rawValue, "lock": $0.key.lock], value: Double($0.value)) }))
        families.append(MetricFamily("facegate_unlocks_total", .counter,
            help: "Unlock commands by outcome: delivered (PUBACK, or a TOGGLE written) or failed (decided, not delivered).",
            samples: [MetricSample(labels: ["outcome": "delivered"], value: Double(c.unlocks)),
                      MetricSample(labels: ["outcome": "failed"], value: Double(c.unlocksFailed))]))
        families.append(MetricFamily("facegate_unlock_confirmations_total", .counter,
            help: "Delivered unlocks by what the lock reported within confirm_timeout: confirmed or unconfirmed.",
            samples: tallies.confirmations.keys.sorted().flatMap { lock in
                ["confirmed", "unconfirmed"].map { result in
                    MetricSample(labels: ["lock": lock, "result": result], value: Double(tallies.confirmations[lock]?[result] ?? 0))
                }
            }))
        families.append(MetricFamily("facegate_unlocks_in_flight", .gauge,
            help: "Unlock commands handed to MQTT whose PUBACK has not come yet.", value: Double(c.unlocksInFlight)))
        families.append(MetricFamily("facegate_unlocks_awaiting_confirmation", .gauge,
            help: "Delivered unlocks waiting for the lock's own report.", value: Double(c.awaitingConfirmation)))
        families.append(MetricFamily("facegate_camera_frames_total", .counter,
            help: "Frames per camera by stage: captured, sent and dropped by its capture process (its last heartbeat), received, admitted (sent for recognition) and skipped (nothing triggered) by the broker.",
            samples: status.cameras.flatMap(cameraSamples)))
        // Every reason always present, so a rate() over `unchanged` works from the first scrape.
        families.append(MetricFamily("facegate_frames_skipped_total", .counter,
            help: "Frames the broker did not send for recognition, by reason: nothing_triggered, unchanged (the same picture as the last judged frame of its sessions: not judged, not audited), too_old, capture_in_future, unknown_camera.",
            samples: FrameSkipReason.allCases.map { reason in
                MetricSample(labels: ["reason": reason.rawValue], value: Double(c.framesSkipped[reason.rawValue] ?? 0))
            }))
        families.append(MetricFamily("facegate_camera_connected", .gauge,
            help: "1 while the camera's capture process is connected to the broker.",
            samples: status.cameras.map { MetricSample(labels: ["camera": $0.id], value: $0.connected ? 1 : 0) }))
        families.append(MetricFamily("facegate_frames_dropped_total", .counter,
            help: "Admitted frames no recognizer took: replaced by a newer frame of the camera, or older than max_decision_age.",
            value: Double(status.framesDropped)))
        families.append(MetricFamily("facegate_mqtt_connected", .gauge,
            help: "1 while the broker is connected to the MQTT broker.", value: status.mqtt.connected ? 1 : 0))
        families.append(MetricFamily("facegate_mqtt_reconnects_total", .counter,
            help: "MQTT connections made after the first (each one closed every open session).",
            value: Double(max(0, tallies.mqttConnects - 1))))
        families.append(MetricFamily("facegate_open_sessions", .gauge,
            help: "Lock and motion sessions open now.", value: Double(status.openSessions.count)))
        families.append(MetricFamily("facegate_sessions_opened_total", .counter,
            help: "Sessions opened by a touch or motion.", value: Double(c.sessionsOpened)))
        families.append(MetricFamily("facegate_pending_txns", .gauge,
            help: "Admitted frames whose result the broker still waits for (detecting_txns).", value: Double(status.pendingTxns)))
        families.append(MetricFamily("facegate_waiting_frames", .gauge,
            help: "Admitted frames waiting for a recognizer's credit (at most one per camera).", value: Double(status.waitingFrames)))
        families.append(MetricFamily("facegate_recognizer_in_flight", .gauge,
            help: "Frames sent to each connected recognizer and not answered yet.",
            samples: status.recognizers.map { MetricSample(labels: ["recognizer": $0.name], value: Double($0.inFlight)) }))
        families.append(MetricFamily("facegate_recognizer_credits", .gauge,
            help: "Frames each connected recognizer is ready to take now.",
            samples: status.recognizers.map { MetricSample(labels: ["recognizer": $0.name], value: Double($0.credits)) }))
        families.append(MetricFamily("facegate_results_total", .counter,
            help: "Recognition results received.", value: Double(c.results)))
        families.append(MetricFamily("facegate_audit_failures_total", .counter,
            help: "Audit writes that failed (their frames' commands were not sent).", value: Double(status.auditFailures)))
        families.append(MetricFamily("facegate_audit_queue", .gauge,
            help: "Frames whose audit rows wait for the disk.", value: Double(status.auditQueue ?? 0)))
        return families
    }

    private static func cameraSamples(_ camera: BrokerStatus.Camera) -> [MetricSample] {
        var stages: [(String, UInt64)] = [("received", camera.framesReceived), ("admitted", camera.framesAdmitted),
                                          ("skipped", camera.framesSkipped)]
        for (stage, key) in [("captured", "frames_captured"), ("sent", "frames_sent"), ("dropped", "frames_dropped")] {
            if let value = camera.capture[key] { stages.append((stage, value)) }
        }
        return stages.map { MetricSample(labels: ["camera": camera.id, "stage": $0.0], value: Double($0.1)) }
    }
}
