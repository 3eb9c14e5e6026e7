import ArgumentParser
import BrokerCore
import Foundation
import TestSupport
import Vocabulary

/// The flags. main.swift parses them and runs DemoRun itself, so that a bad flag exits with
/// 2 like anything else that keeps the story from being played (not ArgumentParser's 64).
struct FacegateDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate-demo",
        abstract: "The seed's Test 9 story (\"one leaves\") on the real facegate processes, narrated; then a photo refused.",
        discussion: """
            Starts mosquitto on a free loopback port, the keypad lock simulator (DC001, DC006), the \
            broker, the tap and one recognizer; enrolls a member from a photo with `facegate faces \
            enroll` and grants both locks; then plays the story, running the camera itself: DC001 \
            touched @0, DC006 touched @6, DC001's occupancy:false @10, the member shown to the camera \
            @13 with the recognizer frozen until @17 so that the decision comes late, DC006's \
            occupancy:false @16. It narrates what it does, what the locks and the broker report, \
            explains the decisions from the audit, and stops everything with SIGTERM. The config, \
            the audit database and every process's log stay in the state directory, for \
            `facegate audit tail`.

            Expected: DC006 unlocked once, DC001 never. With --resume-at 25 the member's frames \
            (captured @13 to @16) have waited longer than max_decision_age (5 story seconds) when \
            the recognizer resumes: the broker drops them unjudged, nothing unlocks, and the demo \
            reports FAILED and exits 1.

            Then a photo held up to DC001's camera: DC001 is touched again and the camera shows \
            the member's still photo. DC001 asks for liveness = "planar" (DC006 does not: in the \
            story its camera shows a photo standing in for a person): the broker recognizes the \
            member, waits DC001's confirm_window (2 story seconds) for parallax a flat picture \
            cannot show (awaiting_confirmation), then refuses it (liveness_failed, with the \
            figures). Expected: DC001 receives no command. With --dc001-liveness off the photo \
            opens DC001: the demo reports FAILED and exits 1.

            Photos: obama.jpg (enrolled) and obama2.jpg (shown) from --faces-dir when both are \
            there, else scikit-image's astronaut.png from Debian's python3-skimage.

            Exit status: 0 the outcome was the expected one, 1 it was not (FAILED lines say why), \
            2 the story could not be played (a process did not start, a file is missing), 130 \
            interrupted. Run from the checkout (scripts/demo.sh does): relative paths are taken \
            from the current directory.
            """)

    @Option(help: ArgumentHelp("Directory of the facegate executables (default: this program's).", valueName: "dir"))
    var bin: String?

    @Option(help: ArgumentHelp("dlib models (default: $FACEGATE_MODELS_DIR, else .cache/models).", valueName: "dir"))
    var modelsDir: String?

    @Option(help: ArgumentHelp("Config, audit database and logs; kept afterwards.", valueName: "dir"))
    var stateDir = ".cache/demo"

    @Option(help: ArgumentHelp("Sample photos (obama.jpg, obama2.jpg).", valueName: "dir"))
    var facesDir = "../shared/faces"

    @Option(help: ArgumentHelp("Real seconds per story second, 0.25 to 2 (default: $DEMO_TIME_SCALE, else 1).", valueName: "s"))
    var timeScale: String?

    @Option(help: ArgumentHelp("Story second at which the frozen recognizer resumes.", valueName: "t"))
    var resumeAt = 17.0

    @Option(name: .customLong("dc001-liveness"),
            help: ArgumentHelp("DC001's liveness for the photo held up to its camera: off, planar, blink, planar+blink.",
                               valueName: "check"))
    var dc001Liveness = LivenessCheck.planar.rawValue

    /// The settings, or what is wrong with the flags (exit status 2, like anything else that
    /// keeps the story from being played).
    func settings() throws -> DemoSettings {
        let env = ProcessInfo.processInfo.environment
        let scaleText = timeScale ?? env["DEMO_TIME_SCALE"].flatMap { $0.isEmpty ? nil : $0 } ?? "1"
        guard let scale = Double(scaleText), scale >= 0.25, scale <= 2 else { throw DemoError.badTimeScale(scaleText) }
        guard resumeAt >= 16.5, resumeAt <= 60 else { throw DemoError.badResumeTime(resumeAt) }
        guard LivenessCheck(rawValue: dc001Liveness) != nil else { throw DemoError.badLiveness(dc001Liveness) }
        let models = modelsDir ?? env["FACEGATE_MODELS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? ".cache/models"
        return DemoSettings(binDirectory: DemoSettings.absolute(bin ?? Paths.productsDirectory.path),
                            modelsDirectory: DemoSettings.absolute(models),
                            stateDirectory: DemoSettings.absolute(stateDir),
                            facesDirectory: DemoSettings.absolute(facesDir),
                            scale: scale, resumeAt: resumeAt, dc001Liveness: dc001Liveness)
    }
}
