/// `host:port` for a TCP listener: an IPv4 address and a port.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:9464`; the error says what is wrong with the text.
    public init(parsing text: String) throws(ListenAddressError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ListenAddressError("\"\(text)\" is not host:port (e.g. \"127.0.0.1:9464\")")
        }
        let host = String(text[..<colon]), portText = text[text.index(after: colon)...]
        guard let octets = ListenAddress.octets(host) else {
            throw ListenAddressError("host \"\(host)\" in \"\(text)\" is not an IPv4 address such as 127.0.0.1")
        }
        guard let port = UInt16(portText), port > 0 else {
            throw ListenAddressError("port \"\(portText)\" in \"\(text)\" is not between 1 and 65535")
        }
        self.host = octets.map(String.init).joined(separator: ".")
        self.port = port
    }

    /// In 127.0.0.0/8: reachable from this machine only.
    public var isLoopback: Bool { ListenAddress.octets(host)?.first == 127 }

    /// The same host, `offset` ports further; nil past 65535.
    public func advanced(by offset: Int) -> ListenAddress? {
        let next = Int(port) + offset
        guard (1...65535).contains(next) else { return nil }
        return ListenAddress(host: host, port: UInt16(next))
    }

    public var description: String { "\(host):\(port)" }

    private static func octets(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let octets = parts.compactMap { part in part.count <= 3 && part.allSatisfy(\.isASCII) ? UInt8(part) : nil }
        return octets.count == 4 ? octets : nil
    }
}

public struct ListenAddressError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
