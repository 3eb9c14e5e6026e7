// swift-tools-version:6.0
import PackageDescription

// dlib's HOG scanner and DNN layers are header code compiled into our shim, so our flags
// decide their speed. The shim is built twice, whatever CPU builds it: a baseline for any
// x86-64-v2 CPU and an AVX2/FMA variant, each its own shared object; CDlibShim's dispatcher
// loads the one the CPU runs (see README "Performance" and DlibShimVariant/fg_variant_table.h).
let shimCommonFlags: [String] = [
    "-O3", "-DNDEBUG", "-DDLIB_NO_GUI_SUPPORT",
    // SwiftPM's debug configuration defines DEBUG, which turns on dlib's ENABLE_ASSERTS
    // (dlib/assert.h): the shim the tests load would check every matrix and image access,
    // slower than and different from the shim that ships.
    "-DDLIB_DISABLE_ASSERTS",
    // The variant's copies of dlib's and the standard library's inline code stay its own.
    "-fvisibility=hidden", "-fvisibility-inlines-hidden",
]
let shimBaselineFlags = shimCommonFlags + ["-march=x86-64-v2", "-mtune=generic"]
let shimAVX2Flags = shimCommonFlags + ["-march=x86-64-v2", "-mtune=generic", "-mavx2", "-mfma"]
let shimLinkerSettings: [LinkerSetting] = [
    .linkedLibrary("dlib"), .linkedLibrary("blas"), .linkedLibrary("lapack"),
    .linkedLibrary("png"), .linkedLibrary("jpeg"),
    // One exported symbol (the variant's table), every reference bound inside the object.
    .unsafeFlags(["-Xlinker", "-Bsymbolic",
                  "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/DlibShimVariant/exports.map"]),
]
let shimVariantSearchPaths: [CXXSetting] = [.headerSearchPath("../DlibShimVariant"), .headerSearchPath("../CDlibShim/include")]

let package = Package(
    name: "facegate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "facegate-capture", targets: ["CaptureProc"]),
        .executable(name: "facegate-recognizer", targets: ["RecognizerProc"]),
        .executable(name: "facegate-broker", targets: ["LockBroker"]),
        .executable(name: "facegate-tap", targets: ["TapTool"]),
        .executable(name: "facegate", targets: ["AdminCLI"]),
        .executable(name: "facegate-locksim", targets: ["LockSimulator"]),
        .executable(name: "facegate-bench", targets: ["Bench"]),
        .executable(name: "facegate-demo", targets: ["DemoRunner"]),
        .executable(name: "facegate-onvif", targets: ["OnvifProc"]),
        .executable(name: "facegate-web", targets: ["WebProc"]),
        .library(name: "WireProtocol", targets: ["WireProtocol", "WireTransport"]),
        // The shim's two variants, loaded at run time by CDlibShim (found beside the executables).
        .library(name: "FacegateDlibBaseline", type: .dynamic, targets: ["CDlibShimBaseline"]),
        .library(name: "FacegateDlibAVX2", type: .dynamic, targets: ["CDlibShimAVX2"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Prometheus's registry and text format (brings swift-metrics' CoreMetrics and swift-atomics).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The logging API libraries log through; ProcessSupport's handler writes their lines as ours.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // facegate-web's HTTP server (and its TLS), and bcrypt for the console's accounts.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // facegate-web stops its server itself on SIGTERM (after ending its event streams).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: Shared libraries
        // The words every process shares: pixel formats, face boxes, descriptors, detected faces.
        .target(name: "Vocabulary"),
        // Message types, the codec and framing: pure bytes in, values out (no sockets).
        .target(name: "WireProtocol", dependencies: ["Vocabulary"]),
        // Unix sockets, connections with deadlines, the server, the reconnecting client, the tap hub.
        .target(name: "WireTransport", dependencies: ["WireProtocol", "ProcessSupport"]),
        // Logging, signals, sd_notify, backoff, clocks: what every long-running process needs.
        .target(name: "ProcessSupport", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"),
                                                     .product(name: "Logging", package: "swift-log")]),
        // The one TOML file every process reads its section from.
        .target(name: "FacegateConfig", dependencies: ["TOMLKit", "Vocabulary"]),
        // ONVIF's SOAP messages as pure values: requests, WS-Security digests, responses,
        // event notifications → motion. No I/O (facegate-onvif does the HTTP).
        .target(name: "OnvifEvents", dependencies: ["Vocabulary"]),
        // GET /metrics: values the processes already count, read at each scrape and written in
        // Prometheus's text format by swift-prometheus, on a small HTTP server (one thread,
        // blocking sockets).
        .target(name: "MetricsEndpoint", dependencies: ["ProcessSupport", .product(name: "Prometheus", package: "swift-prometheus")]),

        // MARK: Broker
        // Pure decision logic: occupancy timelines, snapshots, txns, matching. No I/O.
        .target(name: "BrokerCore", dependencies: ["Vocabulary"]),
        // SQLite (GRDB, WAL): members, descriptors, grants, audit.
        .target(name: "GalleryStore", dependencies: ["Vocabulary", "BrokerCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        // libmosquitto behind a small Swift type.
        .target(name: "MQTTClient", dependencies: ["CMosquitto", "ProcessSupport"]),
        // Home Assistant's MQTT discovery as values: entity configs, state topics, payloads. No I/O.
        .target(name: "HomeAssistantDiscovery", dependencies: ["BrokerCore", "FacegateConfig"]),
        .executableTarget(name: "LockBroker", dependencies: [
            "WireProtocol", "ProcessSupport", "FacegateConfig", "BrokerCore", "GalleryStore", "MQTTClient", "Vocabulary", "WireTransport",
            "HomeAssistantDiscovery", "MetricsEndpoint",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Capture
        .systemLibrary(name: "CGStreamer", pkgConfig: "gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0",
                       providers: [.apt(["libgstreamer1.0-dev", "libgstreamer-plugins-base1.0-dev"])]),
        // GStreamer pipelines that produce capture-time-stamped frames.
        .target(name: "CameraCapture", dependencies: ["CGStreamer", "Vocabulary", "ProcessSupport"]),
        .executableTarget(name: "CaptureProc", dependencies: [
            "CameraCapture", "WireProtocol", "ProcessSupport", "FacegateConfig", "WireTransport", "MetricsEndpoint",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Camera motion
        // facegate-onvif: one camera's ONVIF PullPoint events → the broker's motion socket.
        .executableTarget(name: "OnvifProc", dependencies: [
            "OnvifEvents", "WireProtocol", "WireTransport", "ProcessSupport", "FacegateConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Recognition
        // Plain-C API over Debian's libdlib (C++ inside, nothing thrown across the boundary):
        // the dispatcher, which loads the variant the CPU runs (or FACEGATE_SHIM names).
        .target(name: "CDlibShim", linkerSettings: [.linkedLibrary("dl")]),
        // dlib's code behind that API (Sources/DlibShimVariant), once per instruction set:
        // each target's one file sets the variant's name and #includes the implementation.
        // No public headers of their own (publicHeadersPath "."): nothing imports them.
        .target(name: "CDlibShimBaseline", publicHeadersPath: ".",
                cxxSettings: shimVariantSearchPaths + [.unsafeFlags(shimBaselineFlags)],
                linkerSettings: shimLinkerSettings),
        .target(name: "CDlibShimAVX2", publicHeadersPath: ".",
                cxxSettings: shimVariantSearchPaths + [.unsafeFlags(shimAVX2Flags)],
                linkerSettings: shimLinkerSettings),
        // libjpeg-turbo's compressor behind one plain-C call (its errors longjmp, which must not
        // cross Swift frames): the face chips the broker keeps as crops.
        .target(name: "CJpegEncoder", linkerSettings: [.linkedLibrary("jpeg")]),
        // Swift face engine used by the recognizer and by enrollment in the admin CLI.
        .target(name: "FaceEngine", dependencies: ["CDlibShim", "Vocabulary", "CJpegEncoder"]),
        .executableTarget(name: "RecognizerProc", dependencies: [
            "FaceEngine", "WireProtocol", "ProcessSupport", "FacegateConfig", "Vocabulary", "WireTransport", "MetricsEndpoint",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Web console
        // The console's pages, JSON API, sessions, CSRF and roles over GalleryStore and the
        // broker's control socket; the timeline SVG is a pure function.
        .target(name: "WebConsole", dependencies: [
            "GalleryStore", "BrokerCore", "FacegateConfig", "ProcessSupport", "Vocabulary", "WireProtocol", "WireTransport", "FaceEngine",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(name: "WebProc", dependencies: [
            "WebConsole", "ProcessSupport", "FacegateConfig", "GalleryStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // MARK: Tools
        // zlib for the tap's PNG frames (Debian's, which libpng links too).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .executableTarget(name: "TapTool", dependencies: [
            "WireProtocol", "WireTransport", "ProcessSupport", "CZlib", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "AdminCLI", dependencies: [
            "WireProtocol", "FacegateConfig", "GalleryStore", "FaceEngine", "BrokerCore", "ProcessSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), "Vocabulary", "WireTransport",
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        ]),
        .executableTarget(name: "LockSimulator", dependencies: [
            "MQTTClient", "ProcessSupport", "FacegateConfig", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "Bench", dependencies: [
            "WireProtocol", "BrokerCore", "FaceEngine", "CameraCapture", "ProcessSupport", "FacegateConfig", "TestSupport",
            "GalleryStore", "MQTTClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), "Vocabulary", "WireTransport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // `make demo`: the seed's Test 9 story on the real processes, narrated (scripts/demo.sh runs it).
        .executableTarget(name: "DemoRunner", dependencies: [
            "ProcessSupport", "GalleryStore", "BrokerCore", "TestSupport", "Vocabulary",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        // Helpers for tests that run real parts: free ports, mosquitto, child processes, paths,
        // and test material rendered at run time (FaceEngine decodes the photos it moves).
        .target(name: "TestSupport", dependencies: ["WireTransport", "WireProtocol", "ProcessSupport", "FaceEngine"], path: "Tests/TestSupport"),
        // An ONVIF camera's device and event services on 127.0.0.1, with real cameras' quirks.
        .target(name: "OnvifTestCamera", dependencies: ["OnvifEvents", "ProcessSupport"], path: "Tests/OnvifTestCamera"),
        // Log's lines, byte for byte, and what reaches stderr from child processes.
        .testTarget(name: "ProcessSupportTests", dependencies: ["ProcessSupport", .product(name: "Logging", package: "swift-log")],
                    exclude: ["Golden"]),
        .testTarget(name: "WireProtocolTests", dependencies: ["Vocabulary", "WireProtocol", "TestSupport"]),
        .testTarget(name: "WireTransportTests", dependencies: ["WireTransport", "WireProtocol", "ProcessSupport", "TestSupport"]),
        .testTarget(name: "BrokerCoreTests", dependencies: ["Vocabulary", "BrokerCore"]),
        .testTarget(name: "OnvifEventsTests", dependencies: ["OnvifEvents", "OnvifTestCamera", "TestSupport", "ProcessSupport"]),
        .testTarget(name: "GalleryStoreTests", dependencies: ["Vocabulary", "GalleryStore", "TestSupport"]),
        .testTarget(name: "HomeAssistantDiscoveryTests", dependencies: ["HomeAssistantDiscovery", "BrokerCore", "FacegateConfig", "Vocabulary"]),
        .testTarget(name: "MetricsEndpointTests", dependencies: ["MetricsEndpoint", "ProcessSupport", "TestSupport",
                                                               .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "ConfigTests", dependencies: ["FacegateConfig", "TestSupport"]),
        .testTarget(name: "MQTTClientTests", dependencies: ["MQTTClient", "TestSupport", "ProcessSupport"]),
        .testTarget(name: "FaceEngineTests", dependencies: ["Vocabulary", "WireTransport", "FaceEngine", "TestSupport", "WireProtocol", "ProcessSupport"]),
        .testTarget(name: "CameraCaptureTests", dependencies: ["Vocabulary", "WireTransport", "CameraCapture", "WireProtocol", "TestSupport"]),
        // The broker's pure checks (executable target, @testable).
        .testTarget(name: "LockBrokerTests", dependencies: ["Vocabulary", "LockBroker", "BrokerCore", "GalleryStore", "ProcessSupport", "TestSupport", "FacegateConfig",
                                                     "MetricsEndpoint"]),
        .testTarget(name: "ProcessTests", dependencies: ["Vocabulary", "WireTransport", "WireProtocol", "TestSupport", "GalleryStore", "BrokerCore",
                                                    .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")]),
        // SCENARIOS.md end to end: every executable, mosquitto, dlib, the photos.
        .testTarget(name: "ScenarioTests", dependencies: ["WireTransport", "WireProtocol", "TestSupport", "GalleryStore", "BrokerCore", "MQTTClient", "ProcessSupport",
                                                     "OnvifTestCamera", "FaceEngine", "Vocabulary"]),
        // The deploy/ tree: runit supervision of the real processes.
        .testTarget(name: "DeployTests", dependencies: ["WireTransport", "WireProtocol", "TestSupport", "GalleryStore"]),
        // facegate-web: its pure parts, and the real console in a real browser (chromium over
        // WebDriver) against the real processes.
        .testTarget(name: "WebConsoleTests", dependencies: ["WebConsole", "GalleryStore", "BrokerCore", "TestSupport", "ProcessSupport",
                                                       "WireTransport", "WireProtocol", "MQTTClient"]),
        // The demo's narration: logfmt lines and lock records told as a story.
        .testTarget(name: "DemoRunnerTests", dependencies: ["DemoRunner", "BrokerCore", "GalleryStore", "TestSupport", "Vocabulary"]),
    ],
    swiftLanguageModes: [.v6]
)
