import Foundation
import ProcessSupport
import TestSupport

/// The seed's Test 9 story ("one leaves"), played on the running processes and narrated.
///
/// The story owns the camera: it runs facegate-capture itself, first on a test pattern (nobody
/// at the door), then, from @13, on a photo of the enrolled member. It freezes the recognizer
/// (SIGSTOP) from @13 until `resumeAt` (@17) so that the decision is made after both keypads
/// reported occupancy:false, as in the seed's log. Between its own steps it tells what the
/// lock simulator recorded and what the broker logged.
final class Story {
    static let emptySource = "test://smpte?width=640&height=480&fps=2"

    let settings: DemoSettings
    let stage: Stage
    let photos: SamplePhotos
    let clock: StoryClock
    private let interrupt: StopFlag
    private let brokerLog: LineFollower
    private let lockRecord: LineFollower
    private(set) var narrator = EventNarrator()
    private var capture: ChildProcess?
    private var captures = 0
    private var recognizerFrozen = false

    init(settings: DemoSettings, stage: Stage, photos: SamplePhotos, interrupt: StopFlag) {
        self.settings = settings
        self.stage = stage
        self.photos = photos
        self.interrupt = interrupt
        clock = StoryClock(scale: settings.scale)
        brokerLog = LineFollower(stage.broker.logURL)
        lockRecord = LineFollower(stage.locks.recordURL)
    }

    /// Plays the story to its end. Throws when it cannot be played (the camera does not start,
    /// the simulator cannot be told) or when the demo is interrupted.
    func play() throws {
        let camera = try startCapture(Self.emptySource)
        let ready = Readiness(interrupt: interrupt)
        try ready.wait(for: camera, "facegate-capture", "msg=\"connected to broker\"", timeout: 30)
        try ready.wait(for: camera, "facegate-capture", "msg=\"first frame\"", timeout: 30)
        brokerLog.skipToEnd()  // what happened before the story is not part of it
        Console.say("  camera  cam-a: nobody at the door: the camera shows a test pattern (\(Self.emptySource))")
        Console.say()
        Console.say("== The story: times are story seconds since the first touch")

        let resume = settings.resumeAt
        clock.begin()
        clock.say("story", "someone touches DC001's keypad, wanting to go through that door")
        try touch("DC001")
        try at(6)
        clock.say("story", "someone touches DC006's keypad")
        try touch("DC006")
        try at(10)
        clock.say("story", "the person at DC001 walks away; its keypad will time out now")
        try at(13)
        let photo = URL(fileURLWithPath: photos.cameraPhoto).lastPathComponent
        clock.say("story", "\(photos.member) steps in front of the camera (the capture now shows \(photo))")
        clock.say("story", "the recognizer is frozen (SIGSTOP) until @\(Console.number(resume)): the decision will come late,"
            + " after DC006's keypad too has timed out, as in the seed's log")
        freezeRecognizer(true)
        try startCapture("image://\(photos.cameraPhoto)?fps=2")
        try at(16)
        clock.say("story", "DC006's keypad times out as well")
        try at(resume)
        clock.say("story", "the recognizer resumes (SIGCONT) with the frames it was given")
        freezeRecognizer(false)
        try at(max(20, resume + 3))
        // A decision still on its way (slow machine) is part of the story.
        let deadline = StoryClock.now() + 15_000_000_000
        while narrator.unlockCount == 0, StoryClock.now() < deadline {
            try pause(0.05)
        }
        clock.say("story", "the end: the camera is switched off")
        stopCapture()
        try pause(0.3)
    }

    /// Leaves no camera behind and no recognizer frozen, however the story ended.
    func cleanUp() {
        if recognizerFrozen { freezeRecognizer(false) }
        stopCapture()
    }

    // MARK: Time (the chapter after the story, PhotoAttempt, plays on it too)

    /// Narrates what happens until story second `t`.
    private func at(_ t: Double) throws {
        let target = clock.instant(t)
        while true {
            tellNews()
            if interrupt.isStopped { throw DemoError.interrupted }
            let now = StoryClock.now()
            if now >= target { return }
            interrupt.wait(seconds: min(Double(target - now) / 1e9, 0.05))
        }
    }

    /// Narrates what happens until `done` holds (checked every 50 ms) or story second `t`;
    /// whether `done` held.
    func narrate(until t: Double, _ done: () throws -> Bool) throws -> Bool {
        let deadline = clock.instant(t)
        while true {
            tellNews()
            if interrupt.isStopped { throw DemoError.interrupted }
            if try done() { return true }
            if StoryClock.now() >= deadline { return false }
            interrupt.wait(seconds: 0.05)
        }
    }

    /// Narrates what happens in the next `seconds` real seconds.
    func pause(_ seconds: Double) throws {
        let end = StoryClock.now() + UInt64(seconds * 1e9)
        repeat {
            tellNews()
            if interrupt.isStopped { throw DemoError.interrupted }
            interrupt.wait(seconds: 0.05)
        } while StoryClock.now() < end
        tellNews()
    }

    /// Tells what the simulator recorded and the broker logged since last time, in time order.
    /// Records carry their CLOCK_MONOTONIC stamp; log lines are stamped when read.
    private func tellNews() {
        let readAt = StoryClock.now()
        var news: [(ns: UInt64, order: Int, line: NarrationLine?)] = []
        for record in lockRecord.newLines().compactMap(LockRecord.init(line:)) {
            let ns = record.monotonicNs ?? readAt
            news.append((ns, news.count, narrator.tell(record: record, at: ns)))
        }
        for line in brokerLog.newLines() {
            news.append((readAt, news.count, narrator.tell(brokerLine: Logfmt.fields(line), at: readAt)))
        }
        for item in news.sorted(by: { ($0.ns, $0.order) < ($1.ns, $1.order) }) {
            if let line = item.line { clock.say(line) }
        }
    }

    // MARK: The processes the story runs or signals

    @discardableResult
    func startCapture(_ source: String) throws -> ChildProcess {
        stopCapture()
        captures += 1
        let child = try ChildProcess(settings.executableURL("facegate-capture"),
                                     ["--config", settings.configPath, "--camera", "cam-a", "--source", source],
                                     logDirectory: URL(fileURLWithPath: settings.logsDirectory), name: "capture-\(captures)")
        capture = child
        narrator.newCamera()
        return child
    }

    func stopCapture() {
        guard let capture else { return }
        capture.terminate(grace: 10)
        self.capture = nil
    }

    private func freezeRecognizer(_ frozen: Bool) {
        stage.recognizer.signal(frozen ? SIGSTOP : SIGCONT)
        recognizerFrozen = frozen
    }

    func touch(_ lock: String) throws {
        do {
            try stage.locks.send("touch \(lock)")
        } catch {
            throw DemoError.story("cannot touch \(lock)'s keypad: \(error)")
        }
    }
}
