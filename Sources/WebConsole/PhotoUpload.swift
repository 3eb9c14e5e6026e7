import Foundation
import Hummingbird

/// A member's photo from the browser, enrolled by `facegate faces enroll` itself: one set of
/// rules (one face or refused, size limits, the same descriptor model, duplicates by hash)
/// and the same one-line answers, whether the photo comes from a shell or a form.
extension Console {
    static let photoExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "ppm", "pgm"]

    func addPhotoUploadRoute(_ router: Router<ConsoleContext>) {
        router.post("/members/photo") { [self] request, context in
            guard let tool = setup.enrollTool else {
                throw HTTPError(.serviceUnavailable, message: "photo uploads are off: no facegate executable beside facegate-web")
            }
            var request = request
            let body = try await request.collectBody(upTo: Console.maxUpload)
            let form: MultipartForm
            do {
                form = try MultipartForm(body: Array(body.readableBytesView), contentType: request.headers[.contentType] ?? "")
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            guard let member = form.text("member"), !member.isEmpty else { throw HTTPError(.badRequest, message: "the form has no member") }
            guard let photo = form.file("photo"), !photo.body.isEmpty else { throw HTTPError(.badRequest, message: "choose a photo to upload") }
            let ext = URL(fileURLWithPath: photo.filename ?? "").pathExtension.lowercased()
            let file = FileManager.default.temporaryDirectory
                .appendingPathComponent("facegate-upload-\(SessionStore.randomToken()).\(Self.photoExtensions.contains(ext) ? ext : "img")")
            try Data(photo.body).write(to: file, options: [.withoutOverwriting])
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, output) = try await Self.run(tool.executable, ["faces", "enroll", member, file.path, "--config", tool.config])
            // The tool names the temporary file; the operator knows it by its own name.
            let shown = output.replacingOccurrences(of: file.path, with: photo.filename ?? "photo")
                .replacingOccurrences(of: "facegate: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard status == 0 else { throw HTTPError(.unprocessableContent, message: shown) }
            try audit(context.who, "face.enroll", "\(member) from uploaded photo \(photo.filename ?? "")")
            return Layout.redirect("/members?done=\(urlComponent(shown))")
        }
    }

    /// Runs a tool to completion off the server's threads: its exit status and its output
    /// (stdout and stderr together).
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
