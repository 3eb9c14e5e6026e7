import Foundation

/// Where the demo finds the executables, models and photos, where it keeps its state, and how
/// fast the story runs.
struct DemoSettings {
    var binDirectory: String
    var modelsDirectory: String
    /// Kept after the demo: the config, the audit database, the logs.
    var stateDirectory: String
    var facesDirectory: String
    /// Real seconds per story second.
    var scale: Double
    /// The story second at which the frozen recognizer resumes.
    var resumeAt: Double
    /// DC001's `liveness` for the photo held up to its camera after the story.
    var dc001Liveness: String

    static let executables = ["facegate", "facegate-broker", "facegate-capture", "facegate-recognizer",
                              "facegate-locksim", "facegate-tap", "facegate-web"]
    static let models = ["shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"]
    /// The recognizer loads it only when a lock judging liveness asks for landmarks: without it
    /// the photo chapter would fail half-way rather than up front.
    static let livenessModel = "shape_predictor_68_face_landmarks.dat"

    var logsDirectory: String { stateDirectory + "/logs" }
    var database: String { stateDirectory + "/facegate.sqlite" }
    var configPath: String { stateDirectory + "/facegate.toml" }

    func executable(_ name: String) -> String { binDirectory + "/" + name }
    func executableURL(_ name: String) -> URL { URL(fileURLWithPath: executable(name)) }

    /// Everything the demo needs that a build or set-up step provides.
    func checkPrerequisites(mosquitto: String) throws {
        let files = FileManager.default
        for name in Self.executables where !files.isExecutableFile(atPath: executable(name)) {
            throw DemoError.missingExecutable(path: Console.shown(executable(name)))
        }
        let models = Self.models + (dc001Liveness == "off" ? [] : [Self.livenessModel])
        for model in models where !files.fileExists(atPath: modelsDirectory + "/" + model) {
            throw DemoError.missingModel(path: Console.shown(modelsDirectory + "/" + model))
        }
        guard files.isExecutableFile(atPath: mosquitto) else {
            throw DemoError.missingTool(name: "mosquitto", searched: [mosquitto])
        }
    }

    /// A fresh run: the previous run's logs and database go, the directory stays.
    func resetState() throws {
        let files = FileManager.default
        try files.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        for path in [logsDirectory, database, database + "-wal", database + "-shm"] where files.fileExists(atPath: path) {
            try files.removeItem(atPath: path)
        }
        try files.createDirectory(atPath: logsDirectory, withIntermediateDirectories: true)
    }

    /// An absolute path: relative ones are taken from the current directory.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/"))
            .standardizedFileURL.path
    }
}
