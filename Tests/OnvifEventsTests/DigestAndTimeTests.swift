import Foundation
import OnvifEvents
import XCTest

final class DigestAndTimeTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// FIPS 180 examples (one, two and 56-byte blocks, a million "a").
    func testSHA1KnownAnswers() {
        XCTAssertEqual(hex(SHA1.digest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(SHA1.digest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        XCTAssertEqual(hex(SHA1.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// The expected digest was computed with Python's hashlib: base64(sha1(nonce + created + password)).
    func testPasswordDigestIsBase64OfSHA1OfNonceCreatedPassword() {
        let token = UsernameToken(username: "admin", password: "secret pass", nonce: Array(0..<16),
                                  created: "2024-03-01T12:00:05.123Z")
        XCTAssertEqual(token.digest, "5VcxSDSbED+Id5kwZSuBPEHy3q4=")
        XCTAssertTrue(token.xml.contains("<wsse:Nonce EncodingType=\"\(Namespace.base64Binary)\">AAECAwQFBgcICQoLDA0ODw==</wsse:Nonce>"))
        XCTAssertTrue(token.xml.contains("#PasswordDigest\">5VcxSDSbED+Id5kwZSuBPEHy3q4=</wsse:Password>"))
    }

    /// Created is our clock plus the camera's offset: a camera 5 h ahead gets a Created 5 h ahead.
    func testCreatedFollowsTheCameraClock() throws {
        let now: Int64 = 1_709_294_405 * 1_000_000_000
        let token = UsernameToken.fresh(username: "u", password: "p", nowWallNs: now, cameraOffsetNs: 5 * 3600 * 1_000_000_000)
        XCTAssertEqual(token.created, "2024-03-01T17:00:05.000Z")
        XCTAssertEqual(token.nonce.count, 16)
        XCTAssertNotEqual(UsernameToken.fresh(username: "u", password: "p", nowWallNs: now, cameraOffsetNs: 0).nonce, token.nonce)
    }

    /// The request's token read back from the envelope verifies with the right password only.
    func testReceivedTokenVerifies() throws {
        let token = UsernameToken.fresh(username: "admin", password: "pw", nowWallNs: 0, cameraOffsetNs: 0)
        let envelope = OnvifRequest.envelope(OnvifRequest.getCapabilities, token: token)
        let (header, body) = try SOAPDocument.envelope(Data(envelope.utf8))
        XCTAssertEqual(body.children.first?.name, "GetCapabilities")
        let received = try XCTUnwrap(UsernameToken.received(in: header))
        XCTAssertEqual(received.username, "admin")
        XCTAssertEqual(received.created, "1970-01-01T00:00:00.000Z")
        XCTAssertTrue(received.verifies(password: "pw"))
        XCTAssertFalse(received.verifies(password: "pW"))
    }

    func testDateTimeParsingAndFormatting() {
        XCTAssertEqual(XMLDateTime.parse("2024-03-01T12:00:05Z"), 1_709_294_405 * 1_000_000_000)
        XCTAssertEqual(XMLDateTime.parse(" 2024-03-01T12:00:05.5Z\n"), 1_709_294_405 * 1_000_000_000 + 500_000_000)
        XCTAssertEqual(XMLDateTime.parse("2024-03-01T13:00:05+01:00"), 1_709_294_405 * 1_000_000_000)
        XCTAssertEqual(XMLDateTime.parse("2024-03-01T12:00:05"), 1_709_294_405 * 1_000_000_000, "no zone: UTC")
        XCTAssertEqual(XMLDateTime.parse("1999-12-31T23:59:59Z"), 946_684_799 * 1_000_000_000)
        for bad in ["", "2024-03-01", "2024-13-01T00:00:00Z", "2024-03-01T12:00:05Zjunk", "2024-03-01T12:00:05.Z", "yesterday"] {
            XCTAssertNil(XMLDateTime.parse(bad), bad)
        }
        XCTAssertEqual(XMLDateTime.format(1_709_294_405 * 1_000_000_000 + 123_456_789), "2024-03-01T12:00:05.123Z")
        XCTAssertEqual(XMLDateTime.format(946_684_799 * 1_000_000_000, fractionDigits: 0), "1999-12-31T23:59:59Z")
        XCTAssertEqual(XMLDateTime.instant(year: 2024, month: 3, day: 1, hour: 12, minute: 0, second: 5), 1_709_294_405 * 1_000_000_000)
        XCTAssertNil(XMLDateTime.instant(year: 2024, month: 0, day: 1, hour: 12, minute: 0, second: 5))
    }
}
