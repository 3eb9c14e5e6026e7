import FacegateConfig
import Foundation
import XCTest

/// `[web]`: facegate-web's address (loopback unless allowed), TLS files in pairs, sessions and
/// login limits, each mistake with its key and line.
final class WebConfigTests: XCTestCase {
    func testDefaultsListenOnLoopbackWithoutTLS() throws {
        let config = try FacegateConfiguration.parse(text: "")
        XCTAssertEqual(config.web, WebSettings())
        XCTAssertEqual(config.web.listen.description, "127.0.0.1:8450")
        XCTAssertFalse(config.web.usesTLS)
        XCTAssertTrue(config.web.secureCookies)
        XCTAssertEqual(config.web.loginAttempts, 5)
    }

    func testEveryKeyIsReadAndTLSFilesResolveAgainstTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fg-webconfig-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("facegate.toml").path
        try """
            [web]
            listen = "127.0.0.2:9000"
            tls_cert_file = "tls/web.crt"
            tls_key_file = "/etc/facegate/web.key"
            secure_cookies = false
            session_idle = 600
            login_attempts = 3
            login_window = 60.5
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let web = try FacegateConfiguration.load(path: file).web
        XCTAssertEqual(web.listen, ListenAddress(host: "127.0.0.2", port: 9000))
        XCTAssertEqual(web.tlsCertFile, dir.appendingPathComponent("tls/web.crt").standardizedFileURL.path)
        XCTAssertEqual(web.tlsKeyFile, "/etc/facegate/web.key")
        XCTAssertFalse(web.secureCookies)
        XCTAssertEqual(web.sessionIdleSeconds, 600)
        XCTAssertEqual(web.loginAttempts, 3)
        XCTAssertEqual(web.loginWindowSeconds, 60.5)
    }

    func testMistakesAreNamedWithTheirLine() {
        let text = """
            [web]
            listen = "192.0.2.1:80"
            tls_cert_file = "web.crt"
            login_attempts = 0
            sesion_idle = 5
            """
        assertProblem(text, at: "listen", "web.listen: 192.0.2.1:80 is not a loopback address")
        assertProblem(text, at: "tls_cert_file", "TLS needs both tls_cert_file and tls_key_file")
        assertProblem(text, at: "login_attempts", "web.login_attempts")
        assertProblem(text, at: "sesion_idle", "sesion_idle")
        assertProblem("[web]\nlisten = \"localhost\"\n", at: "listen", "is not host:port")
        XCTAssertEqual(FacegateConfiguration.check(text: "[web]\nallow_remote = true\nlisten = \"0.0.0.0:8450\"\n"), [])
    }
}
