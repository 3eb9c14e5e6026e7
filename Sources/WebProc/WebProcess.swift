import FacegateConfig
import Foundation
import GalleryStore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ProcessSupport
import ServiceLifecycle
import Synchronization
import WebConsole

/// Runs the console's server until SIGTERM: READY to systemd once it listens, then on the
/// signal it ends the event streams and lets open requests finish before exiting 0.
final class WebProcess: Sendable {
    struct Options: Sendable {
        var configuration: FacegateConfiguration
        var enrollTool: (executable: String, config: String)?
    }

    let options: Options
    let log = Log(component: "web")

    init(options: Options) { self.options = options }

    func run() -> Int32 {
        SignalWatcher.ignoreSIGPIPE()
        let configuration = options.configuration
        let web = configuration.web
        let store: GalleryStore
        do {
            store = try GalleryStore(path: configuration.runtime.database)
        } catch {
            log.error("cannot open the database: \(error)", ["database": configuration.runtime.database])
            return 1
        }
        var setup = Console.Setup(configuration)
        setup.enrollTool = options.enrollTool
        if options.enrollTool == nil { log.warning("no facegate executable beside facegate-web: photo uploads are off") }
        let console = Console(setup: setup, store: store)
        let notifier = SystemdNotifier()
        let log = log
        let address = web.listen
        let server: HTTPServerBuilder
        if let cert = web.tlsCertFile, let key = web.tlsKeyFile {
            let chain: [NIOSSLCertificateSource], privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                guard !chain.isEmpty else { throw WebOptionsError("no certificate in the file") }
            } catch {
                log.error("[web] tls_cert_file \(cert) is not a PEM certificate: \(error)", ["cert": cert])
                return 2
            }
            do {
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                log.error("[web] tls_key_file \(key) is not a PEM private key: \(error)", ["key": key])
                return 2
            }
            do {
                server = try .tls(.http1(), tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey)))
            } catch {
                log.error("cannot use the TLS certificate and key: \(error)", ["cert": cert, "key": key])
                return 2
            }
        } else {
            server = .http1()
        }
        let app = Application(
            router: console.router(),
            server: server,
            configuration: .init(address: .hostname(address.host, port: Int(address.port)), serverName: "facegate-web"),
            onServerRunning: { channel in
                let bound = channel.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? Int(address.port))" } ?? "\(address)"
                log.info("listening", ["address": bound, "tls": web.usesTLS, "database": configuration.runtime.database])
                notifier.ready(status: "serving on \(bound)")
            },
            logger: Logger(label: "hummingbird"))
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [],
                                                      logger: Logger(label: "service-group")))
        let stop = StopFlag()
        stop.stopOnTerminationSignals(log: log)
        let finished = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await group.run() } catch { failure.text.withLock { $0 = "\(error)" } }
            stop.stop()
            finished.signal()
        }
        stop.waitForever()
        if let error = failure.text.withLock({ $0 }) {
            log.error("the server stopped: \(error)", ["address": "\(address)"])
            return 1
        }
        notifier.stopping()
        log.info("stopping")
        console.stop()
        Task { await group.triggerGracefulShutdown() }
        guard finished.wait(timeout: .now() + 10) == .success else {
            log.warning("requests still open after 10 s; exiting")
            return 0
        }
        log.info("stopped")
        return 0
    }
}

/// The server task's error, read by the thread that waits for SIGTERM.
final class FailureBox: Sendable {
    let text = Mutex<String?>(nil)
}
