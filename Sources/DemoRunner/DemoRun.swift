import Foundation
import ProcessSupport
import TestSupport

/// The demo from start to end: introduction, set-up, story, explanation, the photo held up to
/// DC001, shutdown, and the exit status (0 expected outcome, 1 wrong outcome, 2 could not
/// play, 130 interrupted).
enum DemoRun {
    static func run(_ command: FacegateDemo) -> Int32 {
        SignalWatcher.ignoreSIGPIPE()
        // Ctrl-C and SIGTERM end the story at its next step; the processes are still stopped.
        let interrupt = StopFlag()
        let signals = SignalWatcher { _ in interrupt.stop() }
        defer { withExtendedLifetime(signals) {} }

        let settings: DemoSettings
        let photos: SamplePhotos
        do {
            settings = try command.settings()
            try settings.checkPrerequisites(mosquitto: MosquittoServer.executable.path)
            try settings.resetState()
            photos = try SamplePhotos.choose(facesDirectory: settings.facesDirectory, facesShown: command.facesDir,
                                             stateDirectory: settings.stateDirectory)
        } catch {
            Console.error("demo: \(error)")
            return 2
        }
        let state = Console.shown(settings.stateDirectory)
        Console.say("facegate demo: the seed's Test 9 story (\"one leaves\") on the real processes, then a photo held up to DC001")
        Console.say("  photos: \(photos.note)")
        Console.say("  time:   1 story second = \(Console.number(settings.scale)) real second(s); state, audit and logs in \(state)/")
        Console.say()
        Console.say("== Setting up")

        let roster = ProcessRoster()
        let stage: Stage
        do {
            stage = try Stage.setUp(settings, photos: photos, roster: roster, interrupt: interrupt)
        } catch {
            Console.error("demo: \(error)")
            if !roster.isEmpty {
                Console.say()
                Console.say("== Stopping")
                roster.stopAll()
            }
            Console.error("demo: logs of every process are in \(Console.shown(settings.logsDirectory))/")
            return isInterruption(error) ? 130 : 2
        }

        let story = Story(settings: settings, stage: stage, photos: photos, interrupt: interrupt)
        var status: Int32
        do {
            defer { story.cleanUp() }
            try story.play()
            let report = DecisionReport(member: photos.member, database: settings.database, lockRecord: stage.locks.recordURL,
                                        tapOutput: stage.tapOutput, clock: story.clock, narrator: story.narrator)
            // The story's outcome is told before the photo chapter adds its own rows to the audit.
            var problems = try report.tell()
            problems += try PhotoAttempt.play(story: story, database: settings.database, lockRecord: stage.locks.recordURL)
            status = problems.isEmpty ? 0 : 1
        } catch {
            Console.say()
            Console.error(isInterruption(error) ? "demo: interrupted" : "demo: \(error)")
            status = isInterruption(error) ? 130 : 2
        }

        Console.say()
        Console.say("== Stopping (SIGTERM, in reverse order)")
        // The stage's run directory holds the sockets: it goes only after the processes did.
        withExtendedLifetime(stage) { roster.stopAll() }
        guard status != 130 else { return status }

        tellWhereTheAuditIs(settings)
        switch status {
        case 0:
            Console.say()
            Console.say("demo: done.")
        case 1:
            Console.error("demo: the outcome was not the expected one (DC006 unlocked once, DC001 never, not even for the photo): "
                + "see FAILED above")
        default:
            Console.error("demo: the story could not be played: see the messages above")
        }
        return status
    }

    private static func isInterruption(_ error: Error) -> Bool {
        if case DemoError.interrupted = error { return true }
        return false
    }

    /// The last audit rows, and how to read them all and the logs.
    private static func tellWhereTheAuditIs(_ settings: DemoSettings) {
        let facegate = settings.executable("facegate")
        Console.say()
        Console.say("== The audit stays in \(Console.shown(settings.database)); the last rows:")
        do {
            let rows = try ToolRunner.run(facegate, ["audit", "tail", "-n", "5", "--config", settings.configPath])
            for line in rows.split(separator: "\n") { Console.say("  \(line)") }
        } catch {
            Console.say("  (cannot read it: \(error))")
        }
        // .build/debug reads better than the triple-named directory it links to.
        var shownBin = Console.shown(settings.binDirectory)
        let debug = FileManager.default.currentDirectoryPath + "/.build/debug"
        if URL(fileURLWithPath: debug).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: settings.binDirectory).resolvingSymlinksInPath().path {
            shownBin = ".build/debug"
        }
        Console.say()
        Console.say("Read all of it with:")
        Console.say("  \(shownBin)/facegate audit tail -n 50 --config \(Console.shown(settings.configPath))")
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: settings.logsDirectory)) ?? []
        let listed = logs.filter { !$0.hasSuffix(".ctl") }.sorted().joined(separator: ", ")
        Console.say("Process logs: \(Console.shown(settings.logsDirectory))/ (\(listed))")
    }
}
