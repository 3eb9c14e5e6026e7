import Foundation
import TestSupport

/// Debian's chromedriver on 127.0.0.1 driving headless chromium, spoken to in the W3C
/// WebDriver JSON wire protocol over plain HTTP: enough for the console's browser tests.
final class WebDriver: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let driver: ChildProcess
    let port: UInt16
    private(set) var session = ""

    /// Starts chromedriver and a headless chromium whose profile lives in `directory`.
    init(directory: TemporaryDirectory) throws {
        let port = freeLoopbackPort()
        driver = try ChildProcess(URL(fileURLWithPath: Self.chromedriver), ["--port=\(port)", "--allowed-ips=127.0.0.1"],
                                  logDirectory: directory.url, name: "chromedriver")
        self.port = port
        var lastError: Error?
        guard waitUntil(timeout: 20, interval: 0.2, {
            do { _ = try self.request("GET", "/status"); return true } catch { lastError = error; return false }
        }) else {
            driver.terminate(grace: 1)
            throw Failure(description: "chromedriver did not answer (\(lastError.map { "\($0)" } ?? "")): \(driver.log)")
        }
        let profile = directory.file("chromium-profile").path
        let answer = try request("POST", "/session", [
            "capabilities": ["alwaysMatch": [
                "browserName": "chrome",
                "goog:chromeOptions": [
                    "binary": Self.chromium,
                    "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                             "--window-size=1100,900", "--user-data-dir=\(profile)", "--no-first-run"],
                ],
            ]],
        ])
        guard let value = answer["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            throw Failure(description: "no session: \(answer)")
        }
        session = id
    }

    static let chromedriver = "/usr/bin/chromedriver"
    static let chromium = "/usr/bin/chromium"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: chromedriver) && FileManager.default.isExecutableFile(atPath: chromium) }

    func quit() {
        if !session.isEmpty { _ = try? request("DELETE", "/session/\(session)") }
        driver.terminate(grace: 5)
    }

    // MARK: Commands

    func go(_ url: String) throws { try command("POST", "/url", ["url": url]) }

    var currentURL: String { ((try? command("GET", "/url")) ?? nil) as? String ?? "" }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    func element(_ css: String, timeout: Double = 10) throws -> String {
        var found: String?
        _ = waitUntil(timeout: timeout, interval: 0.1) {
            found = try? self.findElement(css)
            return found != nil
        }
        guard let found else { throw Failure(description: "no element \(css) on \(currentURL): \(Self.excerpt(pageSource))") }
        return found
    }

    /// The page's main part, for failure messages.
    static func excerpt(_ page: String) -> String {
        let start = page.range(of: "<main>")?.lowerBound ?? page.startIndex
        return String(page[start...].prefix(4000))
    }

    func elements(_ css: String) throws -> [String] {
        let value = try command("POST", "/elements", ["using": "css selector", "value": css]) as? [[String: Any]] ?? []
        return value.compactMap { $0.values.first as? String }
    }

    private func findElement(_ css: String) throws -> String {
        let value = try command("POST", "/element", ["using": "css selector", "value": css])
        guard let object = value as? [String: Any], let id = object.values.first as? String else {
            throw Failure(description: "no element \(css)")
        }
        return id
    }

    func click(_ css: String) throws { try command("POST", "/element/\(try element(css))/click", [:]) }

    func type(_ css: String, _ text: String) throws {
        let id = try element(css)
        // A file input takes the path as it is (clearing it is not allowed).
        let isFile = try script("return arguments[0].type === 'file'", [["element-6066-11e4-a52e-4f735466cecc": id]]) as? Bool ?? false
        if !isFile { try command("POST", "/element/\(id)/clear", [:]) }
        try command("POST", "/element/\(id)/value", ["text": text])
    }

    func text(_ css: String) throws -> String { try command("GET", "/element/\(try element(css))/text") as? String ?? "" }

    var pageSource: String { ((try? command("GET", "/source")) ?? nil) as? String ?? "" }

    @discardableResult
    func script(_ body: String, _ args: [Any] = []) throws -> Any? {
        try command("POST", "/execute/sync", ["script": body, "args": args])
    }

    /// A PNG of the viewport, written to `file`.
    func screenshot(to file: URL) throws {
        guard let base64 = try command("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        try data.write(to: file)
    }

    /// Waits until the text of `css` contains `fragment`.
    func waitForText(_ css: String, _ fragment: String, timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout, interval: 0.2) { ((try? self.text(css)) ?? "").contains(fragment) }
    }

    // MARK: Wire

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
        let answer = try request(method, "/session/\(session)\(path)", body)
        if let value = answer["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "\(method) \(path): \(error): \(value["message"] ?? "")")
        }
        return answer["value"]
    }

    private func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
        // TestSupport's plain HTTP exchange: FoundationNetworking's URLSession fails on
        // chromedriver's header lines, which have no space after the colon ("Failed writing
        // header"), and chromedriver does not answer HTTP/1.0.
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let reply = try httpRequest(port: port, target: path, method: method,
                                    headers: bytes == nil ? [:] : ["Content-Type": "application/json"], body: bytes, timeout: 90,
                                    http11: true)
        guard let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any] else {
            throw Failure(description: "\(method) \(path): not a JSON object: \(reply.body.prefix(300))")
        }
        return object
    }
}
