import Foundation
import TestSupport
import XCTest

/// The broker's /metrics on a real broker: MQTT reconnects counted across a mosquitto restart,
/// and an address it cannot bind costing the metrics only, never the broker.
final class BrokerMetricsEndpointTests: XCTestCase {
    private func scrape(_ port: UInt16) -> String? {
        guard let reply = try? httpRequest(port: port, target: "/metrics"), reply.status == 200 else { return nil }
        return reply.body
    }

    func testMQTTReconnectsAndSessionsAreCounted() throws {
        let port = freeLoopbackPort()
        var options = BrokerHarness.Options()
        options.metrics = "broker = \"127.0.0.1:\(port)\""
        let h = try BrokerHarness(options)
        try h.startBroker()
        XCTAssertTrue(waitUntil { self.scrape(port)?.contains("facegate_mqtt_connected 1.0\n") == true }, scrape(port) ?? "no answer")
        XCTAssertTrue(scrape(port)?.contains("facegate_mqtt_reconnects_total 0\n") == true)

        try h.touch("DC006")
        XCTAssertTrue(waitUntil { self.scrape(port)?.contains("facegate_open_sessions 1.0\n") == true }, scrape(port) ?? "")
        XCTAssertTrue(scrape(port)?.contains("facegate_sessions_opened_total 1\n") == true)

        try h.mosquitto.restart(kill: true)
        // The reconnect closed every session (fail-secure), and says so.
        XCTAssertTrue(waitUntil(timeout: 30) {
            let text = self.scrape(port) ?? ""
            return text.contains("facegate_mqtt_reconnects_total 1\n") && text.contains("facegate_mqtt_connected 1.0\n")
                && text.contains("facegate_open_sessions 0.0\n")
        }, (scrape(port) ?? "") + h.dump())
    }

    func testAnAddressInUseCostsTheMetricsNotTheBroker() throws {
        // Something else holds the port (a second broker's metrics, another exporter).
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(holder, 1)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) }
        }
        let port = UInt16(bigEndian: addr.sin_port)
        var options = BrokerHarness.Options()
        options.metrics = "broker = \"127.0.0.1:\(port)\""
        let h = try BrokerHarness(options)
        try h.startBroker()
        XCTAssertTrue(h.broker.waitForLog("msg=\"cannot serve metrics; continuing without them\""), h.broker.log)
        XCTAssertTrue(h.broker.log.contains("listen=127.0.0.1:\(port)"), h.broker.log)
        XCTAssertTrue(h.broker.log.contains("bind failed: Address already in use"), h.broker.log)
        // Still deciding: the touch reaches it (touch() waits for its occupancy line).
        try h.touch("DC006")
        XCTAssertTrue(h.broker.isRunning)
    }
}
