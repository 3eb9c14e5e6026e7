import Foundation
import TestSupport
import XCTest

/// The packages `make deb` builds (`make test` builds them first): what they hold, what they
/// declare, that lintian has nothing left to say, and that no shipped file needs the Swift
/// toolchain. Installing and booting them is `make package-test` (scripts/package-test.sh).
final class DebPackageTests: XCTestCase {
    static let executables = ["facegate", "facegate-broker", "facegate-capture", "facegate-onvif",
                              "facegate-recognizer", "facegate-tap", "facegate-web"]
    static var outDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["FACEGATE_DEB_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return Paths.packageRoot.appendingPathComponent(".build-deb")
    }

    func package(_ prefix: String) throws -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Self.outDirectory.path)) ?? []
        let name = try XCTUnwrap(names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".deb") }.sorted().last,
                                 "no \(prefix)*.deb in \(Self.outDirectory.path): run `make deb` (make test does)")
        return Self.outDirectory.appendingPathComponent(name)
    }

    func field(_ deb: URL, _ name: String) throws -> String {
        try runTool("dpkg-deb", ["-f", deb.path, name]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func extract(_ deb: URL, into dir: TemporaryDirectory) throws {
        let result = try runTool("dpkg-deb", ["-x", deb.path, dir.path])
        XCTAssertEqual(result.status, 0, result.output)
        let control = try runTool("dpkg-deb", ["-e", deb.path, dir.file("DEBIAN").path])
        XCTAssertEqual(control.status, 0, control.output)
    }

    func testFacegatePackageHoldsTheSiteProcessesUnitsAndConffile() throws {
        let deb = try package("facegate_")
        XCTAssertTrue(deb.lastPathComponent.hasSuffix("_amd64.deb"), deb.lastPathComponent)
        XCTAssertEqual(try field(deb, "Package"), "facegate")
        XCTAssertEqual(try field(deb, "Architecture"), "amd64")
        let root = TemporaryDirectory(prefix: "fg-deb")
        try extract(deb, into: root)
        let fm = FileManager.default
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: root.file("usr/bin").path).sorted(), Self.executables,
                       "the processes a site runs, no bench, demo or lock simulator")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: root.file("usr/lib/facegate").path).sorted(),
                       ["libFacegateDlibAVX2.so", "libFacegateDlibBaseline.so", "swift-backtrace-static"])
        for unit in ["facegate-broker.service", "facegate-capture@.service", "facegate-onvif@.service",
                     "facegate-recognizer@.service", "facegate-web.service", "facegate.target"] {
            let text = try String(contentsOf: root.file("lib/systemd/system/\(unit)"), encoding: .utf8)
            XCTAssertFalse(text.contains("/usr/local/"), "\(unit) names the packaged paths")
        }
        let broker = try String(contentsOf: root.file("lib/systemd/system/facegate-broker.service"), encoding: .utf8)
        XCTAssertTrue(broker.contains("ExecStart=/usr/bin/facegate-broker "), broker)
        XCTAssertTrue(broker.contains("swift-backtrace=/usr/lib/facegate/swift-backtrace-static"), broker)
        XCTAssertTrue(fm.fileExists(atPath: root.file("usr/lib/tmpfiles.d/facegate.conf").path))

        let conffiles = try String(contentsOf: root.file("DEBIAN/conffiles"), encoding: .utf8)
        XCTAssertEqual(conffiles.split(separator: "\n"), ["/etc/facegate/facegate.toml"])
        let config = try String(contentsOf: root.file("etc/facegate/facegate.toml"), encoding: .utf8)
        XCTAssertTrue(config.contains("\nmodels_dir = \"/usr/share/facegate/models\""), "the models of facegate-models")
        for script in ["postinst", "prerm", "postrm"] {
            XCTAssertTrue(fm.isExecutableFile(atPath: root.file("DEBIAN/\(script)").path), script)
        }
        let postinst = try String(contentsOf: root.file("DEBIAN/postinst"), encoding: .utf8)
        XCTAssertTrue(postinst.contains("facegate config check"), "the target starts only on a checked configuration")
    }

    func testFacegateDeclaresItsDebianDependencies() throws {
        let deb = try package("facegate_")
        let depends = try field(deb, "Depends")
        let names = Set(depends.split(separator: ",").flatMap { $0.split(separator: "|") }.map {
            String($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        })
        for expected in ["libc6", "libstdc++6", "libgstreamer1.0-0", "libgstreamer-plugins-base1.0-0",
                         "libdlib19.1", "libopenblas0", "libmosquitto1", "libsqlite3-0",
                         "gstreamer1.0-plugins-base", "gstreamer1.0-plugins-good", "gstreamer1.0-libav",
                         "adduser", "facegate-models"] {
            XCTAssertTrue(names.contains(expected), "Depends lacks \(expected): \(depends)")
        }
        XCTAssertFalse(depends.contains("swift"), depends)
        XCTAssertEqual(try field(deb, "Recommends"), "mosquitto")
    }

    /// Nothing shipped needs the toolchain: no libswift* and no /opt/swift in any NEEDED or
    /// RUNPATH entry (readelf), and the dynamic loader resolves every library from Debian's
    /// paths (ldd). The shim objects were the last to need libswiftCore.so.
    func testNoShippedFileNeedsTheSwiftToolchain() throws {
        let deb = try package("facegate_")
        let root = TemporaryDirectory(prefix: "fg-deb")
        try extract(deb, into: root)
        let files = Self.executables.map { "usr/bin/\($0)" }
            + ["usr/lib/facegate/libFacegateDlibBaseline.so", "usr/lib/facegate/libFacegateDlibAVX2.so",
               "usr/lib/facegate/swift-backtrace-static"]
        for file in files {
            let path = root.file(file).path
            let dynamic = try runTool("readelf", ["-d", path])
            XCTAssertEqual(dynamic.status, 0, "\(file): \(dynamic.output)")
            let entries = dynamic.output.split(separator: "\n").filter { $0.contains("(NEEDED)") || $0.contains("PATH)") }
            XCTAssertFalse(entries.isEmpty, "\(file): no dynamic entries read")
            for entry in entries {
                XCTAssertFalse(entry.lowercased().contains("swift"), "\(file): \(entry)")
            }
            // ldd without the toolchain on the loader's path.
            let linked = try runTool("ldd", [path], environment: ["PATH": "/usr/bin:/bin"])
            XCTAssertEqual(linked.status, 0, "\(file): \(linked.output)")
            XCTAssertFalse(linked.output.contains("not found"), "\(file):\n\(linked.output)")
            XCTAssertFalse(linked.output.contains("/opt/swift"), "\(file):\n\(linked.output)")
            XCTAssertFalse(linked.output.contains("libswift"), "\(file):\n\(linked.output)")
        }
        // The baseline object stays runnable on a CPU without AVX: no ymm register anywhere in it.
        let baseline = try runTool("objdump", ["-d", "--no-show-raw-insn", root.file("usr/lib/facegate/libFacegateDlibBaseline.so").path])
        XCTAssertEqual(baseline.status, 0)
        XCTAssertFalse(baseline.output.contains("%ymm"), "the packaged baseline shim uses AVX registers")
        let avx2 = try runTool("objdump", ["-d", "--no-show-raw-insn", root.file("usr/lib/facegate/libFacegateDlibAVX2.so").path])
        XCTAssertTrue(avx2.output.contains("%ymm"), "the packaged AVX2 shim has no AVX code")
        for shim in ["libFacegateDlibBaseline.so", "libFacegateDlibAVX2.so"] {
            let symbols = try runTool("nm", ["-D", "--defined-only", root.file("usr/lib/facegate/\(shim)").path])
            XCTAssertEqual(symbols.output.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" },
                           ["fg_variant_table_v1"], "\(shim) exports its table alone")
        }
    }

    func testModelsPackageHoldsTheCheckedModels() throws {
        let deb = try package("facegate-models_")
        XCTAssertTrue(deb.lastPathComponent.hasSuffix("_all.deb"), deb.lastPathComponent)
        XCTAssertEqual(try field(deb, "Architecture"), "all")
        let root = TemporaryDirectory(prefix: "fg-deb")
        try extract(deb, into: root)
        let models = root.file("usr/share/facegate/models")
        let check = try runTool("sha256sum", ["-c", "SHA256SUMS"], directory: models)
        XCTAssertEqual(check.status, 0, check.output)
        for name in ["shape_predictor_5_face_landmarks.dat", "shape_predictor_68_face_landmarks.dat",
                     "dlib_face_recognition_resnet_model_v1.dat", "mmod_human_face_detector.dat"] {
            XCTAssertTrue(check.output.contains("\(name): OK"), check.output)
        }
    }

    /// lintian with the overrides the package carries (each says why): no error, no warning.
    func testLintianHasNothingLeft() throws {
        for prefix in ["facegate_", "facegate-models_"] {
            let deb = try package(prefix)
            let result = try runTool("lintian", ["--fail-on", "error,warning", "--tag-display-limit", "0", deb.path])
            print("lintian \(deb.lastPathComponent): exit \(result.status)\n\(result.output)")
            XCTAssertEqual(result.status, 0, "lintian \(deb.lastPathComponent):\n\(result.output)")
            let tags = result.output.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
            XCTAssertEqual(tags, [], deb.lastPathComponent)
        }
    }
}
