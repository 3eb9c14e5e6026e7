import MetricsEndpoint

/// facegate-capture's Prometheus series, from the counters its heartbeats and status already
/// carry (`CaptureProcess.counterValues()`), read at each scrape.
enum CaptureMetrics {
    static func families(camera: String, counters: [String: UInt64], brokerConnected: Bool) -> [MetricFamily] {
        func value(_ key: String) -> Double { Double(counters[key] ?? 0) }
        let labels = ["camera": camera]
        var families = [
            MetricFamily("facegate_capture_frames_total", .counter,
                help: "Frames by stage: decoded (out of the decoder), captured (past the rate cap), sent to the broker, dropped before the broker had them.",
                samples: [("decoded", "frames_decoded"), ("captured", "frames_captured"), ("sent", "frames_sent"), ("dropped", "frames_dropped")]
                    .map { MetricSample(labels: ["camera": camera, "stage": $0.0], value: value($0.1)) }),
            MetricFamily("facegate_capture_dropped_frames_total", .counter,
                help: "Frames dropped by reason: rate_cap, behind (a newer frame replaced it), broker_away, replaced (waiting to be sent), send_failed, too_large.",
                samples: [("rate_cap", "dropped_rate_cap"), ("behind", "dropped_behind"), ("broker_away", "dropped_broker_away"),
                          ("replaced", "dropped_replaced"), ("send_failed", "dropped_send_failed"), ("too_large", "dropped_too_large")]
                    .map { MetricSample(labels: ["camera": camera, "reason": $0.0], value: value($0.1)) }),
            MetricFamily("facegate_capture_camera_restarts_total", .counter,
                help: "Pipelines rebuilt after an error, the end of the stream or the no-frame watchdog.",
                samples: [MetricSample(labels: labels, value: value("camera_restarts"))]),
            MetricFamily("facegate_capture_broker_reconnects_total", .counter,
                help: "Connections to the broker made after the first.",
                samples: [MetricSample(labels: labels, value: value("broker_reconnects"))]),
            MetricFamily("facegate_capture_broker_connected", .gauge,
                help: "1 while connected to the broker's capture socket.",
                samples: [MetricSample(labels: labels, value: brokerConnected ? 1 : 0)]),
        ]
        if let age = counters["last_frame_age_ms"] {
            families.append(MetricFamily("facegate_capture_last_frame_age_seconds", .gauge,
                help: "Since the newest frame's capture.", samples: [MetricSample(labels: labels, value: Double(age) / 1000)]))
        }
        return families
    }
}
