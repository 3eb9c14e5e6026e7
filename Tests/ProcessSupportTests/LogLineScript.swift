import ProcessSupport

/// A value whose description has every character logfmt must quote or escape.
struct OddValue: CustomStringConvertible {
    var description: String { "opened(34888eab, replacingExpired: nil)" }
}

/// The lines the golden file pins: every level, context and fields in their order, a
/// repeated key, and values that need quoting or escaping (spaces, `=`, quotes, backslashes,
/// newlines, tabs, empty, non-ASCII).
///
/// The golden was recorded from `Log` as it wrote its lines itself, before it went through
/// swift-log; the lines must stay byte-identical for the operators' greps and the demo's
/// narrator.
func writeGoldenLogLines() {
    let broker = Log(component: "broker")
    broker.info("started")
    broker.info("frame accepted", ["camera": "cam-a", "txn": 42, "score": 0.4375])
    broker.warning("audit queue full", ["dropped": 3])
    broker.error("cannot open database", ["path": "/var/lib/facegate/gallery.sqlite", "error": "disk I/O error"])
    broker.debug("not shown at info")

    let capture = Log(component: "capture").with(["camera": "cam-a"])
    capture.info("pipeline playing", ["source": "rtsp://127.0.0.1:8554/cam a"])
    capture.with(["peer": "recognizer-1"]).info("sent", ["txn": 7, "bytes": 230_400])

    let mqtt = broker.with(["component": "mqtt"])
    mqtt.info("connected", ["host": "127.0.0.1", "port": 1883])

    let odd = Log(component: "odd")
    odd.info("said \"hi\"\nback\\slash\rtab\there")
    odd.info("", ["empty": ""])
    odd.info("equals", ["expr": "a=b", "only": "="])
    odd.info("change", ["change": OddValue()])
    odd.info("non-ASCII", ["name": "Zoë", "city": "東京", "with space": "café crème", "emoji": "🚪🔓"])
    odd.info("line separator", ["text": "a\u{2028}b", "nel": "a\u{85}b"])
    odd.info("crlf", ["text": "a\r\nb"])
    odd.info("optional", ["value": String(describing: Optional<Int>.none), "some": String(describing: Optional(5))])
    odd.info("plain-ascii-without-spaces")
}
