@testable import DemoRunner
import XCTest

/// The narration of the demo's story from what the broker logs and the lock simulator records
/// (lines as the real processes write them).
final class EventNarratorTests: XCTestCase {
    private var narrator = EventNarrator()

    private func broker(_ line: String, at ns: UInt64 = 1) -> String? {
        narrator.tell(brokerLine: Logfmt.fields(line), at: ns)?.text
    }

    private func lock(_ json: String) -> NarrationLine? {
        narrator.tell(record: LockRecord(line: json)!, at: LockRecord(line: json)!.monotonicNs!)
    }

    func testSessionsAndSnapshotsAreToldAsTheyChange() {
        XCTAssertEqual(broker(#"level=info component=broker lock=DC001 retained=false change="opened(34888eab00000001, replacingExpired: nil)" msg="occupancy true""#),
                       "DC001 opens session 34888eab00000001; frames captured from now on are recognized with snapshot {DC001}")
        XCTAssertEqual(broker(#"level=info component=broker lock=DC006 retained=false change="opened(34888eab00000002, replacingExpired: nil)" msg="occupancy true""#),
                       "DC006 opens session 34888eab00000002; frames captured from now on are recognized with snapshot {DC001, DC006}")
        XCTAssertEqual(broker(#"level=info component=broker lock=DC001 retained=false change=closed(34888eab00000001) msg="occupancy false""#),
                       "DC001 closes session 34888eab00000001; frames captured from now on are recognized with snapshot {DC006}")
        XCTAssertEqual(broker(#"level=info component=broker lock=DC006 retained=false change=closed(34888eab00000002) msg="occupancy false""#),
                       "DC006 closes session 34888eab00000002; no lock session open: frames captured from now on are not recognized at all")
    }

    func testAdmittedFramesAreToldOncePerSnapshotAndResultsByFrame() {
        let admitted = { (seq: Int, txn: String, snapshot: String) in
            "level=debug component=broker camera=cam-a txn=\(txn) seq=\(seq) snapshot=\(snapshot) msg=\"frame admitted\""
        }
        XCTAssertEqual(broker(admitted(2, "34888eab00000001", "{DC001#3785432351895453697}")),
                       "frame 2 admitted with snapshot {DC001}, txn 34888eab00000001, queued for a recognizer")
        XCTAssertNil(broker(admitted(3, "34888eab00000002", "{DC001#3785432351895453697}")))
        XCTAssertNotNil(broker(admitted(4, "34888eab00000003", "{DC001#3785432351895453697,DC006#3785432351895453698}")))
        XCTAssertEqual(broker(#"level=debug component=broker camera=cam-a txn=34888eab00000001 seq=2 msg="no face in frame""#),
                       "frame 2: the recognizer found no face in it (repeats are not shown)")
        XCTAssertNil(broker(#"level=debug component=broker camera=cam-a txn=34888eab00000002 seq=3 msg="no face in frame""#))
        // A new camera process numbers frames from 1 again: its first admitted frame is told.
        narrator.newCamera()
        XCTAssertNotNil(broker(admitted(1, "34888eab00000004", "{DC001#3785432351895453697,DC006#3785432351895453698}")))
        XCTAssertEqual(broker(#"level=info component=broker camera=cam-a txn=34888eab00000004 member=obama locks=DC006 reason="obama matched at 0.336; unlocked DC006" msg=UNLOCK"#),
                       "frame 1: obama -> UNLOCK DC006 (obama matched at 0.336; unlocked DC006)")
        XCTAssertEqual(narrator.unlockCount, 1)
        XCTAssertEqual(broker(#"level=info component=broker camera=cam-a txn=34888eab00000003 member=obama reason="frame too old" msg="deny stale""#),
                       "frame 4: obama -> no unlock: stale (frame too old)")
        XCTAssertNil(broker(#"level=info component=broker camera=cam-a txn=34888eab00000005 member=obama reason="frame too old" msg="deny stale""#))
    }

    func testLockRecordsAreToldAndTheirFirstTimesKept() {
        let off = #"{"event":"occupancy","lock":"DC001","monotonic_ns":5000,"occupancy":false,"topic":"zigbee2mqtt/DC001"}"#
        XCTAssertEqual(lock(off)?.text, #"publishes zigbee2mqtt/DC001 {"occupancy":false} (10 s after its last touch)"#)
        XCTAssertEqual(lock(off)?.who, "lock DC001")
        _ = lock(#"{"event":"occupancy","lock":"DC001","monotonic_ns":9000,"occupancy":false}"#)
        XCTAssertEqual(narrator.firstEvent("DC001", "false"), 5000)
        XCTAssertNil(narrator.firstEvent("DC006", "false"))
        let command = #"{"event":"command","lock":"DC006","monotonic_ns":7000,"payload":"{\"state\":\"UNLOCK\"}","state":"UNLOCK","lock_state":"unlocked","topic":"zigbee2mqtt/DC006/set"}"#
        XCTAssertEqual(lock(command)?.text, #"received {"state":"UNLOCK"} on zigbee2mqtt/DC006/set: the bolt is now unlocked"#)
        XCTAssertNil(LockRecord(line: "{\"event\":"))
    }

    func testQuietLinesAreNotToldButWarningsAre() {
        XCTAssertNil(broker(#"level=info component=broker members=1 descriptors=1 generation=2 msg="gallery loaded""#))
        XCTAssertEqual(broker(#"level=warn component=broker reason=closed msg="mqtt disconnected; trigger state cleared""#),
                       "warn: mqtt disconnected; trigger state cleared")
        XCTAssertEqual(broker(#"level=info component=broker socket=/tmp/s peer="capture:cam-a pid=7" name=facegate-capture msg="peer connected""#),
                       "camera cam-a connected (capture:cam-a pid=7)")
        XCTAssertNil(broker(#"level=info component=broker socket=/tmp/s peer="recognizer:1 pid=8" name=1 msg="peer connected""#))
        XCTAssertEqual(broker(#"level=info component=broker count=1 msg="dropped frames no recognizer took in time""#),
                       "1 frame dropped unjudged: no recognizer took it before it was older than max_decision_age")
    }

    func testSnapshotFieldGivesItsLocks() {
        XCTAssertEqual(EventNarrator.locks(ofSnapshot: "{DC001#1,DC006#2}"), ["DC001", "DC006"])
        XCTAssertEqual(EventNarrator.locks(ofSnapshot: "{}"), [])
        XCTAssertEqual(EventNarrator.braces(["DC001", "DC006"]), "{DC001, DC006}")
    }
}
