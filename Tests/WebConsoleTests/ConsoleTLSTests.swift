import Foundation
import TestSupport
import XCTest

/// The console's own HTTPS ([web] tls_cert_file/tls_key_file): a self-signed certificate made
/// by the `openssl` CLI, real facegate-web, and curl trusting exactly that certificate.
final class ConsoleTLSTests: XCTestCase {
    static let curl = "/usr/bin/curl"
    static let openssl = "/usr/bin/openssl"
    private var dir: TemporaryDirectory!
    private var web: ChildProcess?

    override func setUpWithError() throws {
        for tool in [Self.curl, Self.openssl] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is not installed (scripts/setup.sh installs it)")
        }
        dir = TemporaryDirectory(prefix: "fgwebtls")
    }

    override func tearDown() {
        if let web {
            if (testRun?.totalFailureCount ?? 0) > 0 { print("--- facegate-web\n" + web.log) }
            XCTAssertEqual(web.terminate(grace: 10), 0, "facegate-web exits 0 on SIGTERM")
        }
        web = nil
    }

    /// A tool's exit status and its stdout+stderr.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        if let stdin {
            let input = dir.file("stdin-\(UUID().uuidString)")
            try stdin.write(to: input, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// facegate.toml with [web] on a free port and the given TLS lines; an admin account.
    private func configure(tls: String) throws -> (config: URL, port: UInt16) {
        let port = freeLoopbackPort()
        let config = dir.file("facegate.toml")
        try FileManager.default.createDirectory(at: dir.file("run"), withIntermediateDirectories: true)
        try """
            [runtime]
            sockets_dir = "run"
            database = "facegate.sqlite"
            [[locks]]
            id = "DC001"
            [web]
            listen = "127.0.0.1:\(port)"
            \(tls)
            """.write(to: config, atomically: true, encoding: .utf8)
        let add = try run(Paths.executable("facegate").path, ["users", "add", "ann", "--role", "admin", "--cost", "4", "--config", config.path],
                          stdin: "ann-admin-password\n")
        XCTAssertEqual(add.status, 0, add.output)
        return (config, port)
    }

    func testHTTPSServesHealthAndLoginWithTheConfiguredCertificateAndRefusesPlainHTTP() throws {
        // Self-signed, named for both ways a client may address it.
        let cert = dir.file("web.crt").path, key = dir.file("web.key").path
        let made = try run(Self.openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                          "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                                          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.output)
        let (config, port) = try configure(tls: "tls_cert_file = \"web.crt\"\ntls_key_file = \"web.key\"")
        let web = try ChildProcess(Paths.executable("facegate-web"), ["--config", config.path], logDirectory: dir.url, name: "facegate-web")
        self.web = web
        XCTAssertTrue(web.waitForLine("msg=listening", "tls=true", timeout: 60), web.log)
        let base = "https://localhost:\(port)"
        let jar = dir.file("cookies").path
        // --cacert: curl trusts this one certificate and nothing else, and checks the name.
        let common = ["--silent", "--show-error", "--cacert", cert, "--max-time", "20", "--cookie-jar", jar, "--cookie", jar]

        let health = try run(Self.curl, common + ["--write-out", "\n%{http_code}", base + "/health"])
        XCTAssertEqual(health.status, 0, health.output)
        XCTAssertTrue(health.output.hasSuffix("\n200"), health.output)

        // The login form, its CSRF token from the page (the cookie goes to the jar), then the form.
        let form = try run(Self.curl, common + [base + "/login"])
        XCTAssertEqual(form.status, 0, form.output)
        let token = try XCTUnwrap(form.output.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression)
            .map { String(form.output[$0]).components(separatedBy: "value=\"")[1].dropLast() }, form.output)
        let login = try run(Self.curl, common + ["--write-out", "\n%{http_code} %{redirect_url}", "--data-urlencode", "csrf=\(token)",
                                                 "--data-urlencode", "user=ann", "--data-urlencode", "password=ann-admin-password",
                                                 base + "/login"])
        XCTAssertEqual(login.status, 0, login.output)
        XCTAssertTrue(login.output.hasSuffix("303 \(base)/"), login.output)
        let cookies = try String(contentsOfFile: jar, encoding: .utf8)
        XCTAssertTrue(cookies.split(separator: "\n").contains { $0.contains("fg_session") && $0.contains("localhost\tFALSE\t/\tTRUE\t") },
                      "a Secure session cookie for localhost: \(cookies)")
        let members = try run(Self.curl, common + ["--write-out", "\n%{http_code}", base + "/members"])
        XCTAssertTrue(members.output.hasSuffix("\n200") && members.output.contains("id=\"logout\""), members.output)

        // A client that does not trust the certificate is refused by its own check...
        let untrusted = try run(Self.curl, ["--silent", "--show-error", "--max-time", "20", base + "/health"])
        XCTAssertEqual(untrusted.status, 60, "curl: peer certificate cannot be authenticated: \(untrusted.output)")
        // ...and plain HTTP on the TLS port gets no HTTP answer.
        let plain = try run(Self.curl, ["--silent", "--show-error", "--max-time", "20", "--write-out", "%{http_code}", "http://127.0.0.1:\(port)/health"])
        XCTAssertNotEqual(plain.status, 0, plain.output)
        XCTAssertFalse(plain.output.contains("200"), plain.output)
        XCTAssertTrue(web.isRunning, "a plain HTTP client does not stop the server")
        let again = try run(Self.curl, common + ["--write-out", "\n%{http_code}", base + "/health"])
        XCTAssertTrue(again.output.hasSuffix("\n200"), again.output)
    }

    func testAMissingCertificateOrKeyIsAConfigurationErrorNamingIt() throws {
        let (config, _) = try configure(tls: "tls_cert_file = \"tls/missing.crt\"\ntls_key_file = \"tls/missing.key\"")
        let web = try ChildProcess(Paths.executable("facegate-web"), ["--config", config.path], logDirectory: dir.url, name: "facegate-web-bad")
        XCTAssertEqual(web.waitForExit(timeout: 30), 2, web.log)
        let missing = dir.file("tls/missing.crt").standardizedFileURL.path
        XCTAssertTrue(web.log.contains("[web] tls_cert_file: cannot read \(missing): No such file or directory"), web.log)

        // A file that is there but holds no certificate: named too, and no server.
        try FileManager.default.createDirectory(at: dir.file("tls"), withIntermediateDirectories: true)
        try "not a certificate\n".write(to: dir.file("tls/missing.crt"), atomically: true, encoding: .utf8)
        try "not a key\n".write(to: dir.file("tls/missing.key"), atomically: true, encoding: .utf8)
        let web2 = try ChildProcess(Paths.executable("facegate-web"), ["--config", config.path], logDirectory: dir.url, name: "facegate-web-bad2")
        XCTAssertEqual(web2.waitForExit(timeout: 30), 2, web2.log)
        XCTAssertTrue(web2.log.contains("[web] tls_cert_file \(missing) is not a PEM certificate"), web2.log)
    }
}
