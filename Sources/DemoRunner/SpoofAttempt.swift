import Foundation
import TestSupport

/// Before the story, an attacker on the bus: a login the ACL grants nothing publishes a touch of
/// DC001 and a direct UNLOCK on DC001's command topic, and a client without a login tries the
/// same. mosquitto drops all of it: the broker sees no touch, the lock no command (the report
/// at the end checks that DC001 never received one).
enum SpoofAttempt {
    static let user = "intruder"

    static func play(mosquitto: MosquittoServer, broker: ChildProcess, locks: LockSimProcess, scale: Double) throws {
        Console.say()
        Console.say("== A spoof refused")
        let touch = #"{"occupancy":true}"#, unlock = #"{"state":"UNLOCK"}"#
        Console.say("  \(user) (a login the ACL grants nothing) publishes \(touch) on zigbee2mqtt/DC001 "
                    + "and \(unlock) on zigbee2mqtt/DC001/set")
        try mosquitto.publish(topic: "zigbee2mqtt/DC001", text: touch, username: user, clientID: "intruder-touch")
        try mosquitto.publish(topic: "zigbee2mqtt/DC001/set", text: unlock, username: user, clientID: "intruder-set")
        do {
            try mosquitto.publishAnonymously(topic: "zigbee2mqtt/DC001/set", text: unlock)
            Console.say("  a client without a login: CONNECTED (the bus is open!)")
        } catch {
            Console.say("  a client without a login tries the same: refused at connect (not authorised)")
        }
        // Long enough for a published message to cross mosquitto twice.
        Thread.sleep(forTimeInterval: max(0.5, scale))
        let touches = broker.lines(containing: "msg=\"occupancy true\"", "lock=DC001").count
        let commands = locks.commands(lock: "DC001").count
        Console.say("  broker: \(touches == 0 ? "saw no touch of DC001" : "SAW \(touches) TOUCH(ES) OF DC001")"
                    + "; lock DC001: \(commands == 0 ? "received no command" : "RECEIVED \(commands) COMMAND(S)")")
        Console.say(touches == 0 && commands == 0
                    ? "  mosquitto dropped both: only zigbee2mqtt may report touches, only facegate may command locks"
                    : "  FAILED: the spoof got through the bus")
    }
}
