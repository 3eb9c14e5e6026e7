extension FacegateConfiguration {
    /// sun_path holds 108 bytes with its NUL: a longer socket path passes everything else and
    /// then fails at bind, so `config check` says so first. Recognizer names are given on the
    /// command line, so their control sockets are checked when they start.
    static let maxSocketPathBytes = 107

    func socketPathProblems(_ index: KeyLineIndex) -> [ConfigProblem] {
        let dir = runtime.socketsDirectory
        var named = ["capture.sock", "recognizer.sock", "motion.sock", "broker.ctl"].map { ("\(dir)/\($0)", ["runtime", "sockets_dir"]) }
        for (offset, camera) in cameras.enumerated() {
            named.append(("\(dir)/capture-\(camera.id).ctl", ["cameras", KeyLineIndex.element(offset), "id"]))
        }
        var problems: [ConfigProblem] = []
        for (path, key) in named where path.utf8.count > Self.maxSocketPathBytes {
            let line = index.line(of: key) ?? index.line(of: ["runtime", "sockets_dir"]) ?? 0
            let place = key.first == "runtime" ? "runtime.sockets_dir" : ProblemCollector.display(key)
            problems.append(ConfigProblem(line: line, message: "\(place): socket path \(path) is \(path.utf8.count) bytes; "
                                          + "a Unix socket path can be at most \(Self.maxSocketPathBytes)"))
        }
        return problems
    }
}
