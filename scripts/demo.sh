#!/usr/bin/env bash
# make demo: the seed's Test 9 story ("one leaves") on the real facegate processes.
#
# Starts mosquitto on a free loopback port, the keypad lock simulator (DC001, DC006), the broker
# and one recognizer; enrolls a member from a photo with `facegate faces enroll`; then
# scripts/demo/story.py runs the camera and plays the story with narration: DC001 touched @0,
# DC006 touched @6, DC001's occupancy:false @10, the member shown to the camera @13 (the
# recognizer frozen until @17 so the decision comes late), DC006's occupancy:false @16.
# Expected: DC006 unlocked once, DC001 never. Everything is shut down with SIGTERM at the end;
# the audit database stays in .cache/demo/ for `facegate audit tail`.
#
# Photos: ../shared/faces (obama.jpg enrolled, obama2.jpg shown) when it is beside the checkout,
# else scikit-image's astronaut.png from Debian's python3-skimage (scripts/setup.sh installs it).
#
# Environment: FACEGATE_BIN (directory of the built executables; default: swift build's),
# FACEGATE_MODELS_DIR, DEMO_TIME_SCALE (real seconds per story second, 0.25 .. 2; default 1).
# Exit status: 0 when the outcome was as expected, 1 otherwise (the reason is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

die() { echo "demo: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# What the demo needs
if [ -z "${FACEGATE_BIN:-}" ]; then
  # shellcheck disable=SC2086 # BUILD_FLAGS holds several flags (make demo BUILD_FLAGS=...)
  FACEGATE_BIN=$(swift build ${BUILD_FLAGS:-} --show-bin-path 2>/dev/null || echo "$root/.build/debug")
fi
bin=$FACEGATE_BIN
for exe in facegate facegate-broker facegate-capture facegate-recognizer facegate-locksim; do
  [ -x "$bin/$exe" ] || die "$bin/$exe is missing: build first (make build, or make demo which builds)"
done
models=${FACEGATE_MODELS_DIR:-$root/.cache/models}
for m in shape_predictor_5_face_landmarks.dat dlib_face_recognition_resnet_model_v1.dat; do
  [ -f "$models/$m" ] || die "model $models/$m is missing: run scripts/fetch-models.sh (make demo does)"
done
command -v python3 >/dev/null || die "python3 is not installed: run scripts/setup.sh"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)   # /usr/sbin is not on every user's PATH
[ -x "$mosquitto" ] || die "mosquitto is not installed: run scripts/setup.sh"
scale=${DEMO_TIME_SCALE:-1}
python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if 0.25 <= s <= 2 else 1)" "$scale" 2>/dev/null \
  || die "DEMO_TIME_SCALE=$scale: give a number from 0.25 to 2"
story_seconds() { python3 -c "import sys; print(round(float(sys.argv[1]) * float(sys.argv[2]), 3))" "$1" "$scale"; }

state=$root/.cache/demo          # kept: config, audit database, logs
logs=$state/logs
mkdir -p "$state"
rm -rf "$logs" "$state"/facegate.sqlite "$state"/facegate.sqlite-wal "$state"/facegate.sqlite-shm
mkdir -p "$logs"
run=$(mktemp -d /tmp/fgdemo.XXXXXX)   # sockets (short paths: Unix sockets allow 107 bytes)

# ---------------------------------------------------------------------------------------------
# Processes: started in order, stopped in reverse with SIGTERM (SIGKILL after 10 s).
names=() pids=()
started() { names+=("$1"); pids+=("$2"); }
stop_one() { # name pid -> prints how it ended
  local name=$1 pid=$2 i status
  if ! kill -0 "$pid" 2>/dev/null; then
    status=0; wait "$pid" 2>/dev/null || status=$?
    echo "  $name had already exited (status $status)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "  $name did not stop within 10 s of SIGTERM: killed"
  fi
  status=0; wait "$pid" 2>/dev/null || status=$?
  case $status in
    0) echo "  $name stopped (exit 0)" ;;
    143) echo "  $name stopped (by SIGTERM)" ;;
    *) echo "  $name stopped with exit status $status" ;;
  esac
}
stop_all() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_one "${names[$i]}" "${pids[$i]}"; done
  names=() pids=()
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then echo; echo "== Stopping"; stop_all; fi
  rm -rf "$run"
  [ "$status" -eq 0 ] || echo "demo: logs of every process are in ${logs#"$root"/}/" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT TERM

wait_for_line() { # name pid file text [timeout seconds]
  local name=$1 pid=$2 file=$3 text=$4 timeout=${5:-60} i
  for ((i = 0; i < timeout * 10; i++)); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$file" >&2; die "$name exited before it logged: $text"; }
    sleep 0.1
  done
  tail -n 20 "$file" >&2
  die "$name did not log within ${timeout} s: $text"
}

# ---------------------------------------------------------------------------------------------
# Photos
if [ -f ../shared/faces/obama.jpg ] && [ -f ../shared/faces/obama2.jpg ]; then
  shared=$(cd ../shared/faces && pwd)
  member=obama enroll_photo=$shared/obama.jpg shown_photo=$shared/obama2.jpg
  photos_note="../shared/faces: obama.jpg is enrolled, the camera shows obama2.jpg (another photo of him)"
else
  astronaut=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
  [ -f "$astronaut" ] || die "no sample photo: ../shared/faces is not beside the checkout and $astronaut is missing (apt-get install python3-skimage, or run scripts/setup.sh)"
  member=astronaut enroll_photo=$astronaut shown_photo=$state/astronaut-camera.jpg
  photos_note="python3-skimage's astronaut.png is enrolled; the camera shows a mirrored crop of it (${shown_photo#"$root"/})"
fi

echo "facegate demo: the seed's Test 9 story (\"one leaves\") on the real processes"
echo "  photos: $photos_note"
echo "  time:   1 story second = $scale real second(s); state, audit and logs in ${state#"$root"/}/"
echo
echo "== Setting up"

# mosquitto on a free loopback port, with its own configuration.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$run/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
EOF
"$mosquitto" -c "$run/mosquitto.conf" > "$logs/mosquitto.log" 2>&1 &
started mosquitto $!
for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$logs/mosquitto.log" >&2; die "mosquitto did not listen on 127.0.0.1:$port"; }
echo "  mosquitto listens on 127.0.0.1:$port"

config=$state/facegate.toml
cat > "$config" <<EOF
# Written by scripts/demo.sh (every key: deploy/facegate.example.toml).
[runtime]
sockets_dir = "$run/sockets"
database = "$state/facegate.sqlite"

[mqtt]
host = "127.0.0.1"
port = $port
client_id = "facegate-broker-demo"
reconnect_delay_min = 0.2
reconnect_delay_max = 2

[[locks]]
id = "DC001"
occupancy_max = $(story_seconds 15)

[[locks]]
id = "DC006"
occupancy_max = $(story_seconds 15)

[[cameras]]
id = "cam-a"
# The demo's story overrides the source (facegate-capture --source): a test pattern, then a photo.
source = "test://smpte?width=640&height=480&fps=2"
fps = 2
locks = ["DC001", "DC006"]

[recognizer]
models_dir = "$models"

[decision]
max_decision_age = $(story_seconds 5)
EOF
echo "  config: $("$bin/facegate" config check "$config")"

"$bin/facegate-locksim" --config "$config" --occupancy-seconds 10 --time-scale "$scale" \
  --record "$logs/locks.jsonl" --control "$run/locks.ctl" > "$logs/locksim.log" 2>&1 &
started "lock simulator" $!
wait_for_line "facegate-locksim" $! "$logs/locksim.log" "msg=ready"
echo "  lock simulator: keypad locks DC001 and DC006 (occupancy:true on a touch, false 10 s later; obey /set)"

"$bin/facegate-broker" --config "$config" > "$logs/broker.log" 2>&1 &
started broker $!
broker_pid=$!
wait_for_line "facegate-broker" $! "$logs/broker.log" 'msg="broker ready"'
wait_for_line "facegate-broker" $! "$logs/broker.log" 'msg="mqtt subscriptions active"'
echo "  broker: ready, subscribed to zigbee2mqtt/DC001 and zigbee2mqtt/DC006"

# The tap: a copy of every detect (frame + txn + snapshot) and result crossing the broker.
"$bin/facegate-tap" attach "$run/sockets/broker.ctl" --kind detect,result,error > "$logs/tap.txt" 2> "$logs/tap.log" &
started tap $!

"$bin/facegate-recognizer" --config "$config" --name 1 > "$logs/recognizer.log" 2>&1 &
started recognizer $!
recognizer_pid=$!
wait_for_line "facegate-recognizer" $! "$logs/recognizer.log" 'msg="connected to broker"'
echo "  recognizer 1: dlib models loaded, connected to the broker"

enroll=(faces enroll "$member" "$enroll_photo" --create)
if [ "$member" = astronaut ]; then
  # astronaut.png has a second, false "face" lower down: enroll the best one, and show the camera
  # a mirrored crop around it (a different picture of the same face).
  "$bin/facegate" members add "$member" --config "$config" > /dev/null
  read -r face crop < <("$bin/facegate" faces check "$enroll_photo" --json --config "$config" | python3 -c '
import json, struct, sys
faces = json.load(sys.stdin)["faces"]
best = max(faces, key=lambda f: f["quality"])
with open(sys.argv[1], "rb") as f:
    w, h = struct.unpack(">II", f.read(24)[16:24])   # PNG IHDR
b = best["box"]; side = b["right"] - b["left"]
left, top = max(0, b["left"] - side), max(0, b["top"] - side)
right, bottom = min(w, b["right"] + side), min(h, b["bottom"] + side)
print(best["index"], "left=%d right=%d top=%d bottom=%d" % (left, w - right, top, h - bottom))
' "$enroll_photo") || die "cannot find a face in $enroll_photo"
  enroll+=(--face "$face")
  # shellcheck disable=SC2086 # $crop is four videocrop properties
  gst-launch-1.0 -q filesrc location="$enroll_photo" ! pngdec ! videoconvert ! videocrop $crop \
    ! videoflip video-direction=horiz ! videoconvert ! jpegenc quality=92 ! filesink location="$shown_photo" \
    || die "cannot make the camera's photo from $enroll_photo with gst-launch-1.0"
fi
echo "  enroll: facegate ${enroll[*]/#$root\//}"
"$bin/facegate" "${enroll[@]}" --config "$config" | sed 's/^/          /'
for lock in DC001 DC006; do "$bin/facegate" grants add "$member" "$lock" --config "$config" | sed 's/^/  grants: /'; done
wait_for_line "facegate-broker" "$broker_pid" "$logs/broker.log" "members=1"
echo "  broker: gallery reloaded without a restart (1 member)"

# ---------------------------------------------------------------------------------------------
# The story (story.py runs the camera and narrates), then the shutdown.
# In the background so that a SIGINT/SIGTERM reaches our trap at once (bash runs traps only
# between commands); the trap's clean-up stops it first.
outcome=0
python3 scripts/demo/story.py --bin "$bin" --config "$config" --member "$member" --photo "$shown_photo" \
  --recognizer-pid "$recognizer_pid" --locksim-control "$run/locks.ctl" --locksim-record "$logs/locks.jsonl" \
  --broker-log "$logs/broker.log" --tap-log "$logs/tap.txt" --logs "$logs" --scale "$scale" &
started story $!
wait $! || outcome=$?
unset 'names[-1]' 'pids[-1]'

echo
echo "== Stopping (SIGTERM, in reverse order)"
stop_all

shown_bin=$bin   # .build/debug rather than the triple-named directory it links to
[ "$(readlink -f "$root/.build/debug")" = "$(readlink -f "$bin")" ] && shown_bin=$root/.build/debug
audit_cmd="${shown_bin#"$root"/}/facegate audit tail -n 50 --config ${config#"$root"/}"
echo
echo "== The audit stays in ${state#"$root"/}/facegate.sqlite; the last rows:"
"$bin/facegate" audit tail -n 5 --config "$config" | sed 's/^/  /'
echo
echo "Read all of it with:"
echo "  $audit_cmd"
echo "Process logs: ${logs#"$root"/}/ (broker.log, recognizer.log, capture-*.log, locksim.log, locks.jsonl, tap.txt)"
case $outcome in
  0) echo; echo "demo: done." ;;
  1) die "the outcome was not the expected one (DC006 unlocked once, DC001 never): see FAILED above" ;;
  *) die "the story could not be played (status $outcome): see the messages above" ;;
esac
