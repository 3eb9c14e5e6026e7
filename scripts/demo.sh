#!/usr/bin/env bash
# make demo: the seed's Test 9 story ("one leaves") on the real facegate processes, narrated,
# between a spoof refused and a photo denied.
#
# facegate-demo (Sources/DemoRunner) does it all: starts mosquitto on a free loopback port, the
# keypad lock simulator (DC001, DC006), the broker, the tap and a recognizer; shows a spoofed
# touch and unlock refused by mosquitto's ACL; enrolls a member from a photo with `facegate
# faces enroll`; runs the camera and plays the story (DC001 touched @0, DC006 @6, DC001's
# occupancy:false @10, the member shown to the camera @13 with the recognizer frozen until @17,
# DC006's occupancy:false @16); explains the decisions from the audit; then touches DC001 again
# and holds the member's still photo up to the camera: DC001 has liveness = "planar", so the
# broker refuses it (liveness_failed, with the figures) and DC001 gets no command; stops
# everything with SIGTERM. Expected: DC006 unlocked once, DC001 never. The config, audit
# database and logs stay in .cache/demo/ for `facegate audit tail`.
#
# Photos: ../shared/faces (obama.jpg enrolled, obama2.jpg shown) when it is beside the checkout,
# else scikit-image's astronaut.png from Debian's python3-skimage (scripts/setup.sh installs it).
#
# Environment: FACEGATE_BIN (directory of the built executables; default: swift build's),
# FACEGATE_MODELS_DIR, DEMO_TIME_SCALE (real seconds per story second, 0.25 .. 2; default 1).
# Arguments are passed on to facegate-demo (see `facegate-demo --help`: --faces-dir, --resume-at,
# --dc001-liveness off to see the photo open the door, ...).
# Exit status: 0 the outcome was the expected one, 1 it was not (FAILED lines say why),
# 2 the story could not be played, 130 interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FACEGATE_BIN:-}" ]; then
  # shellcheck disable=SC2086 # BUILD_FLAGS holds several flags (make demo BUILD_FLAGS=...)
  FACEGATE_BIN=$(swift build ${BUILD_FLAGS:-} --show-bin-path 2>/dev/null || echo .build/debug)
fi
[ -x "$FACEGATE_BIN/facegate-demo" ] || {
  echo "demo: $FACEGATE_BIN/facegate-demo is missing: build first (make build, or make demo which builds)" >&2
  exit 2
}
exec "$FACEGATE_BIN/facegate-demo" --bin "$FACEGATE_BIN" "$@"
