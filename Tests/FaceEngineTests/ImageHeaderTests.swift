import FaceEngine
import Foundation
import TestSupport
import XCTest

/// The header reader must agree with the decoder on every reference photo, and read the size
/// of files that could never be decoded.
final class ImageHeaderTests: XCTestCase {
    func testHeaderSizeMatchesTheDecodedSizeOfEveryReferencePhoto() throws {
        let photos = ["obama.jpg", "obama2.jpg", "obama-1080p.jpg", "biden.jpg", "two_people.jpg",
                      "alex-lacamoire.png", "lin-manuel-miranda.png"]
        for name in photos {
            let path = Paths.face(name).path
            let header = try ImageHeader(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            let image = try Image(contentsOfFile: path)
            XCTAssertEqual(header.width, image.width, name)
            XCTAssertEqual(header.height, image.height, name)
            XCTAssertEqual(header.format, name.hasSuffix(".png") ? .png : .jpeg, name)
        }
    }

    func testHugeSizesAreReadFromTinyHeaders() throws {
        XCTAssertEqual(try ImageHeader(bytes: HugeImageFiles.png(width: 30000, height: 30000)),
                       ImageHeader(format: .png, width: 30000, height: 30000))
        XCTAssertEqual(try ImageHeader(bytes: HugeImageFiles.jpeg(width: 65000, height: 40000)),
                       ImageHeader(format: .jpeg, width: 65000, height: 40000))
        XCTAssertEqual(try ImageHeader(bytes: HugeImageFiles.bmp(width: 50000, height: -50000)),
                       ImageHeader(format: .bmp, width: 50000, height: 50000))
        XCTAssertEqual(try ImageHeader(bytes: HugeImageFiles.ppm(width: 30000, height: 20000)),
                       ImageHeader(format: .ppm, width: 30000, height: 20000))
        XCTAssertEqual(try ImageHeader(bytes: Array("P5 640\t480 # a comment\n65535\n".utf8)),
                       ImageHeader(format: .pgm, width: 640, height: 480))
    }

    func testPortableAnymapHeadersThatCannotBeReadAreNamed() {
        let cases: [(String, ImageHeader.ParseError)] = [
            ("P6\n640 48", .truncated(.ppm)),
            ("P6\n640 480\n255", .truncated(.ppm)),
            ("P5\n", .truncated(.pgm)),
            ("P6640 480 255\n", .malformed(.ppm, "width is not separated by whitespace")),
            ("P6\n640 x 255\n", .malformed(.ppm, "height is not a number")),
            ("P6\n640 480 0\n", .malformed(.ppm, "maxval 0 is outside 1...65535")),
            ("P6\n640 480 70000\n", .malformed(.ppm, "maxval 70000 is outside 1...65535")),
            ("P6\n6400000000 480 255\n", .malformed(.ppm, "width has too many digits")),
            ("P6\n640 480 255x", .malformed(.ppm, "maxval is not followed by whitespace")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ImageHeader(bytes: Array(text.utf8)), text) {
                XCTAssertEqual($0 as? ImageHeader.ParseError, expected, text)
            }
        }
        // P3/P2 (ASCII samples) are not what the tap writes: unknown.
        XCTAssertThrowsError(try ImageHeader(bytes: Array("P3\n2 2\n255\n".utf8))) {
            XCTAssertEqual($0 as? ImageHeader.ParseError, .unknownFormat)
        }
    }

    func testUnknownAndTruncatedHeadersAreNamed() {
        XCTAssertThrowsError(try ImageHeader(bytes: Array("GIF89a....".utf8))) {
            XCTAssertEqual($0 as? ImageHeader.ParseError, .unknownFormat)
        }
        XCTAssertThrowsError(try ImageHeader(bytes: Array(HugeImageFiles.png(width: 1, height: 1).prefix(20)))) {
            XCTAssertEqual($0 as? ImageHeader.ParseError, .truncated(.png))
        }
        XCTAssertThrowsError(try ImageHeader(bytes: [0xff, 0xd8, 0xff, 0xda, 0, 2])) {
            XCTAssertEqual($0 as? ImageHeader.ParseError, .noFrameHeader)
        }
    }
}
