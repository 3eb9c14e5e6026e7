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
