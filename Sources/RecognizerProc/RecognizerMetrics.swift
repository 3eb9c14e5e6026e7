import MetricsEndpoint

/// facegate-recognizer's Prometheus series: the counters its heartbeats carry and its queue,
/// read at each scrape; the time its engine takes per frame is a histogram `BrokerSession`
/// records.
enum RecognizerMetrics {
    static let engineTimeName = "facegate_recognizer_engine_seconds"
    static let engineTimeHelp = "Time the face engine took per frame: detection, landmarks and descriptors."
    static let engineTimeBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    static func families(name: String, counters c: BrokerSession.Counters, load: (queued: Int, busy: Int),
                         brokerConnected: Bool) -> [MetricFamily] {
        let labels = ["recognizer": name]
        func one(_ metric: String, _ kind: MetricFamily.Kind, _ help: String, _ value: UInt64) -> MetricFamily {
            MetricFamily(metric, kind, help: help, samples: [MetricSample(labels: labels, value: Double(value))])
        }
        return [
            one("facegate_recognizer_detects_total", .counter, "Frames received from the broker to recognize.", c.detectsReceived),
            one("facegate_recognizer_results_total", .counter, "Results sent back to the broker.", c.resultsSent),
            one("facegate_recognizer_errors_total", .counter, "Frames answered with an error instead of faces.", c.errorsSent),
            one("facegate_recognizer_faces_total", .counter, "Faces found in the frames answered.", c.facesFound),
            one("facegate_recognizer_answers_dropped_total", .counter,
                "Answers not sent: their broker connection was gone by the time they were ready.", c.answersDropped),
            one("facegate_recognizer_broker_reconnects_total", .counter, "Connections to the broker made after the first.", c.reconnects),
            MetricFamily("facegate_recognizer_broker_connected", .gauge, help: "1 while connected to the broker's recognizer socket.",
                         samples: [MetricSample(labels: labels, value: brokerConnected ? 1 : 0)]),
            MetricFamily("facegate_recognizer_queue_depth", .gauge,
                         help: "Frames in this recognizer: waiting for a worker (state=queued) and being processed (state=busy).",
                         samples: [MetricSample(labels: ["recognizer": name, "state": "queued"], value: Double(load.queued)),
                                   MetricSample(labels: ["recognizer": name, "state": "busy"], value: Double(load.busy))]),
        ]
    }
}
