#!/usr/bin/env python3
"""Plays the seed's Test 9 story ("one leaves") on running facegate processes and narrates it.

Run by scripts/demo.sh once mosquitto, the lock simulator, the broker and a recognizer are up.
This script owns the camera: it runs facegate-capture itself, first on a test pattern (nobody
at the door), then, from @13, on a photo of the enrolled member. It freezes the recognizer
(SIGSTOP) from @13 to @17 so that the decision is made after both keypads reported
occupancy:false, as in the seed's log. It narrates what it does and what the lock simulator
and the broker report (the broker's log lines, the simulator's record), then explains the
decisions from the audit and checks the outcome: the lock DC006 unlocked exactly once, DC001
never. Exit status 0 when that happened, 1 when not, 2 when the story could not be played.

Times printed as @T are story seconds since the first touch (real seconds / --scale).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

LOGFMT = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(line):
    fields = {}
    for key, value in LOGFMT.findall(line):
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value[1:-1]
        fields[key] = value
    return fields


class Follower:
    """New complete lines of a file that another process appends to."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self.partial + data
        *complete, self.partial = data.split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete]


def locks_of(snapshot_text):
    """'{DC001#05ff..01,DC006#05ff..02}' -> ['DC001', 'DC006']"""
    inner = snapshot_text.strip("{}")
    return [part.split("#")[0] for part in inner.split(",") if part]


def braces(locks):
    return "{" + ", ".join(locks) + "}"


class Story:
    def __init__(self, args):
        self.args = args
        self.scale = args.scale
        self.t0 = None
        self.broker = Follower(args.broker_log)
        self.record = Follower(args.locksim_record)
        self.capture = None
        self.captures = 0
        self.recognizer_stopped = False
        # Narration state: only changes are told, repeats are counted.
        self.open_sessions = {}
        self.last_admitted = None
        self.admitted = {}
        self.no_face_run = 0
        self.last_deny = None
        self.unlock_lines = []
        self.events = {}

    # -- time -------------------------------------------------------------------------------
    def now(self):
        return time.monotonic_ns()

    def story_time(self, ns):
        return (ns - self.t0) / 1e9 / self.scale

    def say(self, ns, who, text):
        stamp = "@%5.1f" % self.story_time(ns) if self.t0 is not None else "      "
        print("%s  %-10s %s" % (stamp, who, text), flush=True)

    def at(self, t):
        """Narrates what happened until story time t."""
        target = self.t0 + int(t * self.scale * 1e9)
        while True:
            self.pump()
            left = target - self.now()
            if left <= 0:
                return
            time.sleep(min(left / 1e9, 0.05))

    # -- the processes this script runs or signals --------------------------------------------
    def start_capture(self, source, what):
        self.stop_capture()
        self.captures += 1
        log = open(os.path.join(self.args.logs, "capture-%d.log" % self.captures), "wb")
        self.capture = subprocess.Popen(
            [os.path.join(self.args.bin, "facegate-capture"), "--config", self.args.config, "--camera", "cam-a",
             "--source", source], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.capture_log = log.name
        self.capture_what = what
        # The new capture process numbers its frames from 1 again: tell its first admitted frame.
        self.last_admitted = None

    def stop_capture(self):
        if self.capture is None:
            return
        self.capture.send_signal(signal.SIGTERM)
        try:
            self.capture.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.capture.kill()
            self.capture.wait()
        self.capture = None

    def wait_for(self, path, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    if text in f.read():
                        return True
            except FileNotFoundError:
                pass
            if self.capture is not None and self.capture.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def recognizer(self, signo):
        os.kill(self.args.recognizer_pid, signo)
        self.recognizer_stopped = signo == signal.SIGSTOP

    def touch(self, lock):
        # The simulator reads commands from its control FIFO; opening fails until it listens.
        deadline = time.monotonic() + 10
        while True:
            try:
                fd = os.open(self.args.locksim_control, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            os.write(fd, ("touch %s\n" % lock).encode())
        finally:
            os.close(fd)

    # -- narration of what the processes report --------------------------------------------
    def pump(self):
        read_at = self.now()
        events = []
        for line in self.record.lines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            events.append((rec.get("monotonic_ns", read_at), "lock", rec))
        for line in self.broker.lines():
            events.append((read_at, "broker", logfmt(line)))
        for ns, source, fields in sorted(events, key=lambda e: e[0]):
            if source == "lock":
                self.tell_lock(ns, fields)
            else:
                self.tell_broker(ns, fields)

    def tell_lock(self, ns, rec):
        lock = rec.get("lock", "?")
        if rec.get("event") == "occupancy":
            value = "true" if rec.get("occupancy") else "false"
            self.events.setdefault((lock, value), ns)
            note = "" if rec.get("occupancy") else " (10 s after its last touch)"
            self.say(ns, "lock " + lock, 'publishes zigbee2mqtt/%s {"occupancy":%s}%s' % (lock, value, note))
        elif rec.get("event") == "command":
            self.events.setdefault((lock, "command"), ns)
            self.say(ns, "lock " + lock, "received %s on %s: the bolt is now %s"
                     % (rec.get("payload"), rec.get("topic"), rec.get("lock_state") or "unchanged (" + str(rec.get("error")) + ")"))

    def tell_broker(self, ns, f):
        msg = f.get("msg", "")
        if msg in ("occupancy true", "occupancy false"):
            lock, change = f.get("lock", "?"), f.get("change", "")
            m = re.match(r"(opened|closed|refreshed)\((\w+)", change)
            if m and m.group(1) == "opened":
                self.open_sessions[lock] = m.group(2)
                what = "opens session %s" % m.group(2)
            elif m and m.group(1) == "closed":
                self.open_sessions.pop(lock, None)
                what = "closes session %s" % m.group(2)
            elif m:
                what = "keeps session %s open" % m.group(2)
            else:
                what = "changes nothing (%s)" % change
            now_open = sorted(self.open_sessions)
            tail = ("frames captured from now on are recognized with snapshot %s" % braces(now_open)) if now_open \
                else "no lock session open: frames captured from now on are not recognized at all"
            self.say(ns, "broker", "%s %s; %s" % (lock, what, tail))
        elif msg == "frame admitted":
            locks = locks_of(f.get("snapshot", ""))
            self.admitted[f.get("txn")] = f.get("seq")
            if locks != self.last_admitted:
                self.last_admitted = locks
                self.say(ns, "broker", "frame %s admitted with snapshot %s, txn %s, queued for a recognizer"
                         % (f.get("seq"), braces(locks), f.get("txn")))
        elif msg == "no face in frame":
            self.no_face_run += 1
            self.last_deny = None
            if self.no_face_run == 1:
                self.say(ns, "broker", "frame %s: the recognizer found no face in it (repeats are not shown)"
                         % f.get("seq"))
        elif msg == "UNLOCK":
            self.no_face_run = 0
            self.unlock_lines.append(f)
            self.say(ns, "broker", "frame %s: %s -> UNLOCK %s (%s)"
                     % (self.admitted.get(f.get("txn"), "?"), f.get("member"), f.get("locks"), f.get("reason")))
        elif msg.startswith("deny "):
            self.no_face_run = 0
            kind = msg[5:]
            if kind != self.last_deny:
                self.last_deny = kind
                self.say(ns, "broker", "frame %s: %s -> no unlock: %s (%s)"
                         % (self.admitted.get(f.get("txn"), "?"), f.get("member"), kind, f.get("reason")))
        elif msg == "peer connected" and f.get("peer", "").startswith("capture"):
            self.say(ns, "broker", "camera cam-a connected (%s)" % f.get("peer"))
        elif f.get("level") in ("warn", "error"):
            self.say(ns, "broker", "%s: %s" % (f.get("level"), msg))

    # -- the story ---------------------------------------------------------------------------
    def play(self):
        a = self.args
        self.start_capture(a.empty_source, "nobody at the door: the camera shows a test pattern")
        if not self.wait_for(self.capture_log, 'msg="connected to broker"', 30) or \
                not self.wait_for(self.capture_log, 'msg="first frame"', 30):
            print("demo: facegate-capture did not start; its log (%s):" % self.capture_log, file=sys.stderr)
            print(open(self.capture_log, errors="replace").read(), file=sys.stderr)
            return 2
        self.broker.lines()  # what happened before the story is not part of it
        print("  camera  cam-a: %s (%s)" % (self.capture_what, a.empty_source), flush=True)
        print(flush=True)
        print("== The story: times are story seconds since the first touch", flush=True)

        self.t0 = self.now()
        self.say(self.t0, "story", "someone touches DC001's keypad, wanting to go through that door")
        self.touch("DC001")
        self.at(6)
        self.say(self.now(), "story", "someone touches DC006's keypad")
        self.touch("DC006")
        self.at(10)
        self.say(self.now(), "story", "the person at DC001 walks away; its keypad will time out now")
        self.at(13)
        self.say(self.now(), "story", "%s steps in front of the camera (the capture now shows %s)"
                 % (a.member, os.path.basename(a.photo)))
        self.say(self.now(), "story", "the recognizer is frozen (SIGSTOP) until @17: the decision will come late,"
                 " after DC006's keypad too has timed out, as in the seed's log")
        self.recognizer(signal.SIGSTOP)
        self.start_capture("image://%s?fps=2" % a.photo, "%s in front of the camera" % a.member)
        self.at(16)
        self.say(self.now(), "story", "DC006's keypad times out as well")
        self.at(17)
        self.say(self.now(), "story", "the recognizer resumes (SIGCONT) with the frames it was given")
        self.recognizer(signal.SIGCONT)
        self.at(20)
        # A decision still on its way (slow machine) is part of the story.
        deadline = self.now() + int(15e9)
        while not self.unlock_lines and self.now() < deadline:
            self.pump()
            time.sleep(0.05)
        self.say(self.now(), "story", "the end: the camera is switched off")
        self.stop_capture()
        time.sleep(0.3)
        self.pump()
        return 0

    def cleanup(self):
        if self.recognizer_stopped:
            try:
                self.recognizer(signal.SIGCONT)
            except OSError:
                pass
        self.stop_capture()

    def tap_lines(self, txn):
        """What facegate-tap printed about one txn (the detect sent, the result received)."""
        if not self.args.tap_log:
            return []
        try:
            with open(self.args.tap_log, encoding="utf-8", errors="replace") as f:
                # The tap may print a txn in decimal where logs and audit use 16 hex digits.
                forms = (txn, str(int(txn, 16)))
                lines = [line.rstrip("\n") for line in f if any("txn=%s " % t in line for t in forms)]
        except FileNotFoundError:
            return []
        return [line if len(line) <= 150 else line[:147] + "..." for line in lines[:4]]

    # -- what was decided, and the verdict -------------------------------------------------
    def facegate(self, *arguments):
        out = subprocess.run([os.path.join(self.args.bin, "facegate")] + list(arguments) + ["--config", self.args.config],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("facegate %s failed: %s" % (" ".join(arguments), out.stderr.strip()))
        return out.stdout

    def explain(self):
        a = self.args
        rows = [json.loads(line) for line in self.facegate("audit", "tail", "-n", "10000", "--json").splitlines() if line.strip()]
        grants = sorted(g["lock"] for g in json.loads(self.facegate("grants", "list", a.member, "--json")))
        commands = []
        for line in open(a.locksim_record, encoding="utf-8"):
            rec = json.loads(line)
            if rec.get("event") == "command":
                commands.append(rec)

        print()
        print("== What was decided, and why (from the audit: one row per face the broker judged)")
        kinds = {}
        for row in rows:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        if rows:
            print("  %d audit rows: %s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
        else:
            print("  no audit rows: no face was ever judged")
        for row in rows:
            if row["kind"] != "unlock":
                continue
            captured = self.story_time(row["capture_monotonic_ns"])
            decided = self.story_time(row["capture_monotonic_ns"] + (row["time_wall_ns"] - row["capture_wall_ns"]))
            snapshot = sorted(s["lock"] for s in row["snapshot"].get("lockSessions", []))
            print("  txn %s: frame captured @%.1f, decided @%.1f: %s at distance %.3f"
                  % (row["txn"], captured, decided, row["member"], row["distance"]))
            print("    snapshot stored with the frame when it was captured: %s" % braces(snapshot))
            print("    %s's grants: %s" % (row["member"], braces(grants)))
            print("    locks opened = snapshot ∩ grants = %s" % braces(row["unlocked"]))
            for line in self.tap_lines(row["txn"]):
                print("    tap: " + line)
            off1 = self.events.get(("DC001", "false"))
            off6 = self.events.get(("DC006", "false"))
            if off1 is not None and off1 < row["capture_monotonic_ns"]:
                print("    DC001 is not in the snapshot: its occupancy:false came @%.1f, before the frame was captured"
                      % self.story_time(off1))
            if off6 is not None and off6 < row["capture_monotonic_ns"] + (row["time_wall_ns"] - row["capture_wall_ns"]):
                print("    DC006's own occupancy:false came @%.1f, before the decision: the system facegate replaces read"
                      % self.story_time(off6))
                print("    the context at decision time, found it empty and unlocked every lock on the camera (bug #5);")
                print("    facegate decides with the snapshot taken at capture time and has no unlock-all path.")
        others = [r for r in rows if r["kind"] != "unlock"]
        if others:
            print("  the other rows, by kind:")
            for kind in sorted({r["kind"] for r in others}):
                sample = next(r for r in others if r["kind"] == kind)
                print("    %-22s x%-3d e.g. %s" % (kind, kinds[kind], sample["reason"]))

        dc006 = [c for c in commands if c.get("lock") == "DC006"]
        dc001 = [c for c in commands if c.get("lock") == "DC001"]
        print()
        print("== Outcome (what the locks received)")
        for lock, received in (("DC006", dc006), ("DC001", dc001)):
            print("  %s: %s" % (lock, ", ".join("%s @%.1f" % (c.get("payload"), self.story_time(c["monotonic_ns"]))
                                                for c in received) or "nothing"))
        problems = []
        if len(dc006) != 1 or dc006[0].get("state") != "UNLOCK":
            problems.append("DC006 should have received exactly one UNLOCK, it received %d command(s)" % len(dc006))
        if dc001:
            problems.append("DC001 should never have been unlocked, it received %d command(s)" % len(dc001))
        unlock_rows = [r for r in rows if r["kind"] == "unlock"]
        if len(unlock_rows) != 1 or unlock_rows[0]["unlocked"] != ["DC006"] or unlock_rows[0]["member"] != a.member:
            problems.append("the audit should hold exactly one unlock row, of DC006 for %s; it holds %s"
                            % (a.member, [(r["member"], r["unlocked"]) for r in unlock_rows]))
        if problems:
            for p in problems:
                print("  FAILED: " + p)
            return 1
        print("  as expected: DC006 unlocked once for %s, DC001 never." % a.member)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory of the facegate executables")
    parser.add_argument("--config", required=True)
    parser.add_argument("--member", required=True, help="the enrolled member the camera will see")
    parser.add_argument("--photo", required=True, help="absolute path of the photo the camera shows from @13")
    parser.add_argument("--empty-source", default="test://smpte?width=640&height=480&fps=2")
    parser.add_argument("--recognizer-pid", type=int, required=True)
    parser.add_argument("--locksim-control", required=True)
    parser.add_argument("--locksim-record", required=True)
    parser.add_argument("--broker-log", required=True)
    parser.add_argument("--tap-log", help="facegate-tap's output for the broker's socket")
    parser.add_argument("--logs", required=True, help="directory for the capture logs")
    parser.add_argument("--scale", type=float, default=1.0, help="real seconds per story second")
    args = parser.parse_args()

    story = Story(args)
    # demo.sh stops us with SIGTERM on Ctrl-C: leave no capture behind and no recognizer frozen.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        status = story.play()
        if status != 0:
            return status
    finally:
        story.cleanup()
    try:
        return story.explain()
    except (RuntimeError, ValueError, KeyError, OSError) as error:
        print("demo: cannot read the outcome: %s" % error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
