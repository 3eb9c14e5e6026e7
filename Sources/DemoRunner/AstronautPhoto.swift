import Foundation

/// astronaut.png has a second, false "face" lower down (a badge): the demo enrolls the face
/// `facegate faces check` rates best, and shows the camera a mirrored crop around it, a
/// different picture of the same face.
enum AstronautPhoto {
    /// What `facegate faces check --json` prints, the parts used here.
    struct FaceCheck: Decodable {
        struct Face: Decodable {
            var index: Int
            var quality: Double
            var box: Box
        }
        struct Box: Decodable {
            var left: Int
            var top: Int
            var right: Int
            var bottom: Int
        }
        var faces: [Face]
    }

    static func bestFace(checkJSON: String, photo: String) throws -> FaceCheck.Face {
        guard let check = try? JSONDecoder().decode(FaceCheck.self, from: Data(checkJSON.utf8)),
              let best = check.faces.max(by: { $0.quality < $1.quality }) else {
            throw DemoError.noFaceInPhoto(path: photo)
        }
        return best
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DemoError.unreadablePNG(path: path) }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 24))
        guard header.count == 24, header[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              header[12..<16] == Array("IHDR".utf8)[...] else {
            throw DemoError.unreadablePNG(path: path)
        }
        func bigEndian(_ at: Int) -> Int { header[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (bigEndian(16), bigEndian(20))
    }

    /// Writes a JPEG of `photo` cropped to the face with a face's width of margin all round,
    /// mirrored, with GStreamer's command-line tool.
    static func makeCameraPhoto(from photo: String, face: FaceCheck.Box, to output: String) throws {
        let (width, height) = try pngSize(photo)
        let side = face.right - face.left
        let left = max(0, face.left - side), top = max(0, face.top - side)
        let right = min(width, face.right + side), bottom = min(height, face.bottom + side)
        let gstLaunch = try ToolRunner.find("gst-launch-1.0")
        try ToolRunner.run(gstLaunch, [
            "-q", "filesrc", "location=\(photo)", "!", "pngdec", "!", "videoconvert",
            "!", "videocrop", "left=\(left)", "right=\(width - right)", "top=\(top)", "bottom=\(height - bottom)",
            "!", "videoflip", "video-direction=horiz", "!", "videoconvert", "!", "jpegenc", "quality=92",
            "!", "filesink", "location=\(output)",
        ])
    }
}
