import Foundation
import GalleryStore
import TestSupport
import XCTest

/// Input the admin CLI must refuse with a line naming what was wrong (issue 16): huge photos
/// before decoding, negative or zero counts, a directory as the configuration, socket paths
/// the kernel cannot bind.
extension AdminCLITests {
    func testHugePhotosAreRefusedFromTheirHeaderAndNormalOnesStillEnroll() throws {
        let png = dir.file("huge.png").path, jpeg = dir.file("huge.jpg").path, bmp = dir.file("huge.bmp").path
        _ = FileManager.default.createFile(atPath: png, contents: Data(HugeImageFiles.png(width: 30000, height: 30000)))
        _ = FileManager.default.createFile(atPath: jpeg, contents: Data(HugeImageFiles.jpeg(width: 6000, height: 4000)))
        _ = FileManager.default.createFile(atPath: bmp, contents: Data(HugeImageFiles.bmp(width: 20000, height: -20000)))
        XCTAssertEqual(try facegate(["members", "add", "obama"]).status, 0)

        let refused = try facegate(["faces", "enroll", "obama", png])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        for fragment in [png, "30000x30000 pixels (900.0 MP)", "limit of 16000000 pixels", "max_photo_pixels", "refused before decoding"] {
            XCTAssertTrue(refused.stderr.contains(fragment), "missing \(fragment): \(refused.stderr)")
        }
        let several = try facegate(["faces", "enroll", "obama", bmp, jpeg])
        XCTAssertEqual(several.status, 1)
        XCTAssertTrue(several.stdout.contains("\(bmp): 20000x20000 pixels"), several.stdout)
        // 24 MP is over the 16 MP default; a flag may raise the limit (the file still fails
        // later, being only a header, but no longer for its size).
        XCTAssertTrue(several.stdout.contains("\(jpeg): 6000x4000 pixels (24.0 MP)"), several.stdout)
        let raised = try facegate(["faces", "check", jpeg, "--max-pixels", "30000000"])
        XCTAssertEqual(raised.status, 1)
        XCTAssertFalse(raised.stderr.contains("pixels (24.0 MP)"), raised.stderr)

        let check = try facegate(["faces", "check", png])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stderr.contains("\(png): 30000x30000 pixels"), check.stderr)

        // A real photo under a limit set below its size: refused by name, with its size.
        let small = try facegate(["faces", "enroll", "obama", face("obama.jpg"), "--max-pixels", "1000"])
        XCTAssertEqual(small.status, 1)
        XCTAssertTrue(small.stderr.contains("limit of 1000 pixels"), small.stderr)
        XCTAssertEqual(try GalleryStore(path: databasePath).listFaces(member: "obama").count, 0, "a refused photo was stored")

        // And with the default limit the same photo enrolls.
        let stored = try facegate(["faces", "enroll", "obama", face("obama.jpg")])
        XCTAssertEqual(stored.status, 0, stored.stderr)
        XCTAssertTrue(stored.stdout.contains("1 face, stored"), stored.stdout)
    }

    /// Frames saved by the tap (PPM/PGM) fall under the same limit, read from their text header.
    func testHugePortableAnymapsAreRefusedFromTheirHeader() throws {
        let ppm = dir.file("huge.ppm").path
        _ = FileManager.default.createFile(atPath: ppm, contents: Data(HugeImageFiles.ppm(width: 30000, height: 20000)))
        XCTAssertEqual(try facegate(["members", "add", "obama"]).status, 0)
        for command in [["faces", "check", ppm], ["faces", "enroll", "obama", ppm]] {
            let refused = try facegate(command)
            XCTAssertEqual(refused.status, 1, refused.stderr)
            for fragment in ["\(ppm): 30000x20000 pixels (600.0 MP)", "limit of 16000000 pixels", "refused before decoding"] {
                XCTAssertTrue(refused.stderr.contains(fragment), "\(command): missing \(fragment): \(refused.stderr)")
            }
        }
        let malformed = dir.file("bad.pgm").path
        _ = FileManager.default.createFile(atPath: malformed, contents: Data("P5\n640 480\n0\n".utf8))
        let refused = try facegate(["faces", "check", malformed])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(malformed): not a readable JPEG, PNG, BMP, PPM or PGM image (PGM header is malformed: maxval 0 "),
                      refused.stderr)
    }

    func testNegativeFaceAndZeroRowsAreRefusedWithAReason() throws {
        let negative = try facegate(["faces", "enroll", "obama", face("two_people.jpg"), "--face", "-1"])
        XCTAssertEqual(negative.status, 64, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--face -1: faces are numbered from 0"), negative.stderr)

        let pixels = try facegate(["faces", "check", face("obama.jpg"), "--max-pixels", "-5"])
        XCTAssertTrue(pixels.stderr.contains("--max-pixels -5: must be at least 1"), pixels.stderr)

        for n in ["0", "-3"] {
            let tail = try facegate(["audit", "tail", "-n", n])
            XCTAssertEqual(tail.status, 64, tail.stderr)
            XCTAssertTrue(tail.stderr.contains("-n \(n): must be at least 1"), tail.stderr)
            XCTAssertEqual(tail.stdout, "")
        }
    }

    func testConfigCheckNamesADirectoryAndATooLongSocketPath() throws {
        let asDirectory = try facegate(["config", "check", dir.url.path], withConfig: false)
        XCTAssertEqual(asDirectory.status, 1)
        XCTAssertTrue(asDirectory.stderr.contains("\(dir.url.path): it is a directory"), asDirectory.stderr)
        XCTAssertFalse(asDirectory.stderr.contains("NSCocoaErrorDomain"), asDirectory.stderr)

        let longDir = "/tmp/" + String(repeating: "s", count: 100)
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
            .replacingOccurrences(of: #"sockets_dir = "run""#, with: #"sockets_dir = "\#(longDir)""#)
        let longConfig = dir.file("long.toml").path
        _ = FileManager.default.createFile(atPath: longConfig, contents: Data(text.utf8))
        let long = try facegate(["config", "check", longConfig], withConfig: false)
        XCTAssertEqual(long.status, 1)
        XCTAssertTrue(long.stderr.contains("\(longConfig):2: runtime.sockets_dir: socket path \(longDir)/recognizer.sock is 121 bytes"),
                      long.stderr)
        XCTAssertTrue(long.stderr.contains("at most 107"), long.stderr)
    }
}
