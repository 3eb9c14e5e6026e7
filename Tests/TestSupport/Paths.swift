import Foundation

/// Where tests find the package, the shared reference data, the models and the built executables.
public enum Paths {
    /// The directory holding Package.swift (this file is Tests/TestSupport/Paths.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the checkout: read-only reference material.
    public static let shared: URL = packageRoot.appendingPathComponent("../shared").standardizedFileURL

    public static func face(_ name: String) -> URL { shared.appendingPathComponent("faces/\(name)") }

    public static let modelsDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["FACEGATE_MODELS_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return packageRoot.appendingPathComponent(".cache/models")
    }()

    /// The build products directory: the test bundle sits beside the executables SwiftPM built.
    public static let productsDirectory: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // Linux: .build/debug/facegatePackageTests.xctest is the executable itself.
        while dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir
    }()

    /// Path of a built executable such as `facegate-broker`.
    public static func executable(_ name: String) -> URL { productsDirectory.appendingPathComponent(name) }
}
