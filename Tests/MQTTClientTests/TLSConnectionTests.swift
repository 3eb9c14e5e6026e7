import Foundation
import MQTTClient
import TestSupport
import XCTest

/// MQTTConnection against a real mosquitto TLS listener, with certificates made by openssl
/// for the test: server verification (CA and hostname), client certificates, and a login
/// carried inside TLS. Messages cross between the TLS listener and the plain one, so what the
/// connection sends and receives is checked by mosquitto's own tools.
final class TLSConnectionTests: XCTestCase {
    /// One PKI for the whole class: made once, it is only read.
    private static let pki = Result { try TestCertificates() }

    private func certificates() throws -> TestCertificates { try Self.pki.get() }

    private func makeServer(certFile: String? = nil, keyFile: String? = nil, requireCertificate: Bool = false,
                            users: [String: String] = [:]) throws -> MosquittoServer {
        let pki = try certificates()
        let listener = MosquittoServer.TLSListener(caFile: pki.caFile, certFile: certFile ?? pki.serverCertFile,
                                                   keyFile: keyFile ?? pki.serverKeyFile,
                                                   requireCertificate: requireCertificate)
        return try MosquittoServer(users: users, tls: listener)
    }

    private func makeConnection(_ server: MosquittoServer, caFile: String?, certFile: String? = nil,
                                keyFile: String? = nil, insecure: Bool = false, username: String? = nil,
                                password: String? = nil) throws -> (MQTTConnection, EventRecorder) {
        let recorder = EventRecorder()
        let options = MQTTOptions(host: server.host, port: Int(try XCTUnwrap(server.tlsPort)),
                                  clientID: "tls-\(UUID().uuidString.prefix(8))", username: username,
                                  password: password, tlsCAFile: caFile, tlsCertFile: certFile, tlsKeyFile: keyFile,
                                  tlsInsecure: insecure, keepalive: 5, reconnectDelayMin: 0.05, reconnectDelayMax: 0.5)
        let connection = try MQTTConnection(options: options) { recorder.record($0) }
        connection.subscribe("zigbee2mqtt/#", qos: 1)
        addTeardownBlock { connection.stop() }
        return (connection, recorder)
    }

    /// Proves a working session both ways: a message from the plain listener arrives over
    /// TLS, and one published over TLS reaches an independent subscriber.
    private func assertExchangesMessages(_ connection: MQTTConnection, _ events: EventRecorder, _ server: MosquittoServer,
                                         username: String? = nil, password: String? = nil,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(events.wait { $0.subscribes >= 1 }, "\(events.events)\n\(server.log)", file: file, line: line)
        XCTAssertTrue(connection.isConnected, file: file, line: line)
        let before = events.messages.count
        try server.publish(topic: "zigbee2mqtt/DC001", text: #"{"occupancy":true}"#)
        XCTAssertTrue(events.wait { $0.messages.count > before }, "\(events.events)", file: file, line: line)
        XCTAssertEqual(events.messages.last?.payloadText, #"{"occupancy":true}"#, file: file, line: line)

        let subscriber = try MosquittoSubscriber(server: server, topic: "zigbee2mqtt/+/set", username: username,
                                                 password: password)
        XCTAssertEqual(command(connection, "DC001", #"{"state":"UNLOCK"}"#, qos: 1).wait(), .published("PUBACK received"),
                       file: file, line: line)
        XCTAssertTrue(subscriber.waitForMessages(1), file: file, line: line)
        XCTAssertEqual(subscriber.messages, [RecordedMessage(topic: "zigbee2mqtt/DC001/set",
                                                             payload: #"{"state":"UNLOCK"}"#, qos: 1, retain: false)],
                       file: file, line: line)
    }

    func testConnectsOverTLSCheckingTheServerAgainstTheCA() throws {
        let pki = try certificates()
        let server = try makeServer()
        let (connection, events) = try makeConnection(server, caFile: pki.caFile)
        connection.start()
        try assertExchangesMessages(connection, events, server)
        XCTAssertEqual(events.connects, 1)
        XCTAssertTrue(events.failures.isEmpty, "\(events.failures)")

        // The port really speaks TLS: plain MQTT is not accepted there.
        let (plain, plainEvents) = try makeConnection(server, caFile: nil)
        plain.start()
        XCTAssertTrue(plainEvents.wait { $0.failures.count >= 2 }, "\(plainEvents.events)")
        XCTAssertEqual(plainEvents.connects, 0)
    }

    func testServerCertificateFromAnotherCAIsRefusedAndRetriedWithoutHarm() throws {
        let pki = try certificates()
        let server = try makeServer()
        let (connection, events) = try makeConnection(server, caFile: pki.otherCAFile)
        connection.start()
        // Refused on every attempt, each one reported with a reason, and attempts go on.
        XCTAssertTrue(events.wait { $0.failures.count >= 3 }, "\(events.events)")
        XCTAssertEqual(events.connects, 0)
        XCTAssertFalse(connection.isConnected)
        XCTAssertTrue(events.failures.allSatisfy { $0.localizedCaseInsensitiveContains("certificate verify failed") },
                      "every failure names the cause: \(events.failures)")
        XCTAssertTrue(server.isRunning)

        // Nothing reached mosquitto's MQTT layer from it, and a correctly configured client is unaffected.
        let (good, goodEvents) = try makeConnection(server, caFile: pki.caFile)
        good.start()
        try assertExchangesMessages(good, goodEvents, server)
        connection.stop()
        XCTAssertEqual(events.connects, 0)
    }

    func testHostnameIsCheckedUnlessInsecureIsAskedFor() throws {
        let pki = try certificates()
        // Signed by the right CA, but issued for another name than 127.0.0.1.
        let server = try makeServer(certFile: pki.wrongNameCertFile, keyFile: pki.wrongNameKeyFile)
        let (checked, checkedEvents) = try makeConnection(server, caFile: pki.caFile)
        checked.start()
        XCTAssertTrue(checkedEvents.wait { $0.failures.count >= 2 }, "\(checkedEvents.events)")
        XCTAssertEqual(checkedEvents.connects, 0)
        XCTAssertTrue(checkedEvents.failures.allSatisfy { $0.localizedCaseInsensitiveContains("host name verification failed") },
                      "\(checkedEvents.failures)")

        let (insecure, insecureEvents) = try makeConnection(server, caFile: pki.caFile, insecure: true)
        insecure.start()
        try assertExchangesMessages(insecure, insecureEvents, server)
        XCTAssertEqual(checkedEvents.connects, 0, "the checked client still refuses")
    }

    func testClientCertificateWhenTheServerRequiresOne() throws {
        let pki = try certificates()
        let server = try makeServer(requireCertificate: true)

        let (withCert, withCertEvents) = try makeConnection(server, caFile: pki.caFile,
                                                            certFile: pki.clientCertFile, keyFile: pki.clientKeyFile)
        withCert.start()
        try assertExchangesMessages(withCert, withCertEvents, server)

        let (without, withoutEvents) = try makeConnection(server, caFile: pki.caFile)
        without.start()
        XCTAssertTrue(withoutEvents.wait { $0.failures.count >= 2 }, "\(withoutEvents.events)")
        XCTAssertEqual(withoutEvents.connects, 0)
        XCTAssertFalse(without.isConnected)
        XCTAssertTrue(withCert.isConnected, "the refused client did not disturb the accepted one")
        XCTAssertEqual(withCertEvents.disconnects, 0)
    }

    func testUsernameAndPasswordOverTLS() throws {
        let pki = try certificates()
        let server = try makeServer(users: ["facegate": "tls-secret"])

        let (good, goodEvents) = try makeConnection(server, caFile: pki.caFile, username: "facegate", password: "tls-secret")
        good.start()
        try assertExchangesMessages(good, goodEvents, server, username: "facegate", password: "tls-secret")

        let (bad, badEvents) = try makeConnection(server, caFile: pki.caFile, username: "facegate", password: "wrong")
        bad.start()
        XCTAssertTrue(badEvents.wait { $0.failures.count >= 2 }, "\(badEvents.events)")
        XCTAssertEqual(badEvents.connects, 0)
        // TLS held; mosquitto itself refused the login, and the reason says so.
        XCTAssertTrue(badEvents.failures.allSatisfy { $0.contains("not authorised") }, "\(badEvents.failures)")

        let (anonymous, anonymousEvents) = try makeConnection(server, caFile: pki.caFile)
        anonymous.start()
        XCTAssertTrue(anonymousEvents.wait { $0.failures.count >= 1 }, "\(anonymousEvents.events)")
        XCTAssertEqual(anonymousEvents.connects, 0)
    }
}
