@testable import WebConsole
import XCTest

final class FormDataTests: XCTestCase {
    func testURLEncodedFieldsDecodePlusAndPercent() {
        let form = FormData(urlEncoded: "member=J%C3%BCrgen+M&csrf=a%2Bb&empty=&member=second")
        XCTAssertEqual(form["member"], "Jürgen M", "first value wins")
        XCTAssertEqual(form["csrf"], "a+b")
        XCTAssertEqual(form["empty"], "")
        XCTAssertNil(form["missing"])
    }

    func testMultipartTextAndFileParts() throws {
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            + [0xFF, 0xD8, 13, 10, 0xFF, 0xD9] + Array("\r\n--XyZ--\r\n".utf8)
        let form = try MultipartForm(body: body, contentType: "multipart/form-data; boundary=XyZ")
        XCTAssertEqual(form.text("csrf"), "tok")
        XCTAssertEqual(form.file("photo")?.filename, "a.jpg")
        XCTAssertEqual(form.file("photo")?.body, [0xFF, 0xD8, 13, 10, 0xFF, 0xD9])
        XCTAssertThrowsError(try MultipartForm(body: body, contentType: "multipart/form-data")) {
            XCTAssertEqual("\($0)", "multipart form without a boundary in its Content-Type")
        }
        XCTAssertThrowsError(try MultipartForm(body: Array("junk".utf8), contentType: "multipart/form-data; boundary=XyZ"))
    }
}
