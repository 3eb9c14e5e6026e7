import Foundation

/// A throwaway PKI in a temporary directory, made with the `openssl` command-line tool:
/// a test CA, a server certificate for 127.0.0.1 (IP SAN, so libmosquitto's hostname check
/// passes without `tls_insecure`), a client certificate, a server certificate whose only name
/// is `facegate.invalid` (the hostname check must fail), and a second, unrelated CA that
/// signed nothing we use (a client trusting it must refuse the server). EC P-256 keys: the
/// whole set takes a fraction of a second.
/// Reason for @unchecked: its vars are set before other threads use it, or only on one thread.
public final class TestCertificates: @unchecked Sendable {
    public static let executable = "/usr/bin/openssl"

    public let directory: TemporaryDirectory
    public var caFile: String { directory.file("ca.pem").path }
    public var serverCertFile: String { directory.file("server.pem").path }
    public var serverKeyFile: String { directory.file("server.key").path }
    public var clientCertFile: String { directory.file("client.pem").path }
    public var clientKeyFile: String { directory.file("client.key").path }
    public var wrongNameCertFile: String { directory.file("wrongname.pem").path }
    public var wrongNameKeyFile: String { directory.file("wrongname.key").path }
    /// A CA that signed none of the certificates above.
    public var otherCAFile: String { directory.file("other-ca.pem").path }

    public init() throws {
        directory = TemporaryDirectory(prefix: "fgtls")
        // Our own config: the system's openssl.cnf defaults must not decide which
        // extensions (CA flag, key usage, names) the certificates get.
        let config = directory.file("openssl.cnf")
        try """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        [ca_ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1
        [wrongname_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:facegate.invalid
        [client_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth

        """.write(to: config, atomically: true, encoding: .utf8)

        try makeCA("ca", subject: "/CN=facegate test CA", config: config)
        try makeCA("other-ca", subject: "/CN=some other CA", config: config)
        try makeLeaf("server", subject: "/CN=127.0.0.1", extensions: "server_ext", serial: 2, config: config)
        try makeLeaf("client", subject: "/CN=facegate-broker", extensions: "client_ext", serial: 3, config: config)
        try makeLeaf("wrongname", subject: "/CN=facegate.invalid", extensions: "wrongname_ext", serial: 4, config: config)
    }

    private func makeCA(_ name: String, subject: String, config: URL) throws {
        try openssl(["req", "-x509", "-config", config.path, "-extensions", "ca_ext",
                     "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", directory.file("\(name).key").path, "-out", directory.file("\(name).pem").path,
                     "-days", "2", "-subj", subject])
    }

    private func makeLeaf(_ name: String, subject: String, extensions: String, serial: Int, config: URL) throws {
        let request = directory.file("\(name).csr").path
        try openssl(["req", "-new", "-config", config.path,
                     "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", directory.file("\(name).key").path, "-out", request, "-subj", subject])
        try openssl(["x509", "-req", "-in", request, "-CA", caFile, "-CAkey", directory.file("ca.key").path,
                     "-set_serial", String(serial), "-days", "2", "-sha256",
                     "-extfile", config.path, "-extensions", extensions,
                     "-out", directory.file("\(name).pem").path])
    }

    private func openssl(_ arguments: [String]) throws {
        try MosquittoServer.runTool(TestCertificates.executable, arguments)
    }
}
