import Foundation

/// A real Prometheus (Debian's `/usr/bin/prometheus`) on 127.0.0.1 on a free port, scraping
/// the given targets every `scrapeInterval` seconds, with its configuration and storage in a
/// temporary directory; asked through its HTTP API as a dashboard would.
public final class PrometheusServer: @unchecked Sendable {
    public static let executable = URL(fileURLWithPath: "/usr/bin/prometheus")

    public let port: UInt16
    public let directory: TemporaryDirectory
    private let child: ChildProcess

    /// `targets`: job name → `host:port` scraped at `/metrics`.
    public init(targets: [String: String], scrapeInterval: Double = 1) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw PrometheusError.missing("\(Self.executable.path) not found: scripts/setup.sh installs Debian's prometheus package")
        }
        directory = TemporaryDirectory(prefix: "fgprom")
        port = freeLoopbackPort()
        let interval = "\(Int((scrapeInterval * 1000).rounded()))ms"
        var config = "global:\n  scrape_interval: \(interval)\n  scrape_timeout: \(interval)\n  evaluation_interval: \(interval)\nscrape_configs:\n"
        for job in targets.keys.sorted() {
            config += "  - job_name: \"\(job)\"\n    static_configs:\n      - targets: [\"\(targets[job]!)\"]\n"
        }
        let configURL = directory.file("prometheus.yml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        child = try ChildProcess(Self.executable, [
            "--config.file=\(configURL.path)", "--storage.tsdb.path=\(directory.file("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ], logDirectory: directory.url, name: "prometheus")
        guard waitUntil(timeout: 60, interval: 0.1, { (try? httpRequest(port: port, target: "/-/ready").status) == 200 }) else {
            child.terminate(grace: 5)
            throw PrometheusError.notReady(child.log)
        }
    }

    deinit { stop() }

    public func stop() { if child.isRunning { child.terminate(grace: 10) } }

    public var log: String { child.log }

    /// Each target's health and last scrape error, as Prometheus reports them (for failure output).
    public var targets: String { (try? httpRequest(port: port, target: "/api/v1/targets"))?.body ?? "no answer" }

    /// An instant query's samples: labels and value of each series (`/api/v1/query`).
    public func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: allowed)!
        let reply = try httpRequest(port: port, target: "/api/v1/query?query=\(encoded)")
        guard reply.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
              json["status"] as? String == "success",
              let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw PrometheusError.query(promQL, "\(reply.status) \(reply.body.prefix(300))")
        }
        return result.map { series in
            let labels = series["metric"] as? [String: String] ?? [:]
            let pair = series["value"] as? [Any] ?? []
            return (labels, Double(pair.last as? String ?? "") ?? .nan)
        }
    }

    /// The single value of a query; nil when it has no series (or several).
    public func value(_ promQL: String) -> Double? {
        guard let samples = try? query(promQL), samples.count == 1 else { return nil }
        return samples[0].value
    }
}

public enum PrometheusError: Error, CustomStringConvertible {
    case missing(String)
    case notReady(String)
    case query(String, String)

    public var description: String {
        switch self {
        case let .missing(why): why
        case let .notReady(log): "prometheus did not become ready:\n\(log.suffix(2000))"
        case let .query(q, reply): "query \(q) failed: \(reply)"
        }
    }
}
