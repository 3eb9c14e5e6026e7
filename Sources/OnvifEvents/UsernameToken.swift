import Foundation

/// WS-Security UsernameToken with a password digest (ONVIF Core §5.9.4):
/// `PasswordDigest = Base64(SHA-1(nonce + created + password))`, nonce raw bytes, created as
/// written in the header. The camera rejects a Created too far from its own clock, so
/// `created` is our clock corrected by the offset the camera reported (GetSystemDateAndTime).
public struct UsernameToken: Sendable, Equatable {
    public var username: String
    public var nonce: [UInt8]
    public var created: String
    public var digest: String

    public init(username: String, password: String, nonce: [UInt8], created: String) {
        self.username = username
        self.nonce = nonce
        self.created = created
        digest = UsernameToken.digest(password: password, nonce: nonce, created: created)
    }

    /// A fresh token for a request sent at `nowWallNs` to a camera whose clock reads
    /// `cameraOffsetNs` ahead of ours.
    public static func fresh(username: String, password: String, nowWallNs: Int64, cameraOffsetNs: Int64) -> UsernameToken {
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = UInt8.random(in: 0...255, using: &generator) }
        return UsernameToken(username: username, password: password, nonce: nonce,
                             created: XMLDateTime.format(nowWallNs &+ cameraOffsetNs))
    }

    public static func digest(password: String, nonce: [UInt8], created: String) -> String {
        Data(SHA1.digest(nonce + Array(created.utf8) + Array(password.utf8))).base64EncodedString()
    }

    /// The wsse:Security header block.
    public var xml: String {
        "<wsse:Security xmlns:wsse=\"\(Namespace.wsse)\" xmlns:wsu=\"\(Namespace.wsu)\" s:mustUnderstand=\"1\">"
            + "<wsse:UsernameToken><wsse:Username>\(XMLText.escape(username))</wsse:Username>"
            + "<wsse:Password Type=\"\(Namespace.passwordDigest)\">\(digest)</wsse:Password>"
            + "<wsse:Nonce EncodingType=\"\(Namespace.base64Binary)\">\(Data(nonce).base64EncodedString())</wsse:Nonce>"
            + "<wsu:Created>\(created)</wsu:Created></wsse:UsernameToken></wsse:Security>"
    }

    /// What a service reads back from a request's Security header (the test camera checks it).
    public struct Received: Sendable, Equatable {
        public var username: String
        public var passwordType: String?
        public var password: String
        public var nonce: [UInt8]?
        public var created: String?

        /// Whether the digest is right for `password`. A plain-text password (PasswordText) is
        /// compared as it is.
        public func verifies(password expected: String) -> Bool {
            if passwordType == nil || passwordType?.hasSuffix("#PasswordText") == true { return password == expected }
            guard let nonce, let created else { return false }
            return UsernameToken.digest(password: expected, nonce: nonce, created: created) == password
        }
    }

    /// The UsernameToken of a SOAP Header, if any.
    public static func received(in header: SOAPElement?) -> Received? {
        guard let token = header?.child(Namespace.wsse, "Security")?.child(Namespace.wsse, "UsernameToken"),
              let username = token.child(Namespace.wsse, "Username")?.trimmedText,
              let passwordElement = token.child(Namespace.wsse, "Password") else { return nil }
        let nonce = token.child(Namespace.wsse, "Nonce").flatMap { Data(base64Encoded: $0.trimmedText) }.map { [UInt8]($0) }
        return Received(username: username, passwordType: passwordElement.attribute("Type"), password: passwordElement.trimmedText,
                        nonce: nonce, created: token.child(Namespace.wsu, "Created")?.trimmedText)
    }
}
