#!/usr/bin/env bash
# make soak: the random fault test (Tests/ScenarioTests/RandomFaultTests.swift) over many seeds,
# each a fresh pipeline with random touches, photos and SIGKILLs of broker, capture, recognizers
# and mosquitto. Not part of `make test`: it takes about an hour.
#
# Prints one line per seed (kills, decisions, unlocks, commands the locks received) and at the
# end the number of invariant violations and of audit rows that disagree with what the locks
# received. Both must be 0; the exit status is 1 otherwise. A failing seed replays with
#   FACEGATE_FAULT_SEED=<seed> FACEGATE_FAULT_PLAY_SECONDS=<play> swift test --skip-build --filter RandomFaultTests
#
# FACEGATE_SOAK_SEEDS (default 200), FACEGATE_FAULT_PLAY_SECONDS (default 8: seconds of random
# play per seed), FACEGATE_SOAK_JOBS (default 2: seeds played at once, each its own pipeline),
# FACEGATE_SOAK_MINUTES (default 60: no new seed starts after this).
set -uo pipefail
cd "$(dirname "$0")/.."

seeds=${FACEGATE_SOAK_SEEDS:-200}
play=${FACEGATE_FAULT_PLAY_SECONDS:-8}
jobs=${FACEGATE_SOAK_JOBS:-2}
minutes=${FACEGATE_SOAK_MINUTES:-60}
# The test bundle itself: `swift test` holds the build directory's lock, so two could not run at once.
tests="$(swift build --show-bin-path)/facegatePackageTests.xctest"
[[ -x "$tests" ]] || { echo "soak: $tests is missing: run make build first" >&2; exit 2; }
logs=$(mktemp -d /tmp/facegate-soak.XXXXXX)
start=$(date +%s)
ran=0 violations=0 disagreements=0 failed_seeds=()

# One seed, in the background: its log and its exit status in $logs/<seed>.{log,status}.
play_seed() {
  local seed=$1
  FACEGATE_FAULT_SEED=$seed FACEGATE_FAULT_PLAY_SECONDS=$play \
    "$tests" ScenarioTests.RandomFaultTests/testRandomFaultsKeepTheInvariant >"$logs/$seed.log" 2>&1
  echo $? >"$logs/$seed.status"
}

# Reads a finished seed's summary into the totals.
judge() {
  local seed=$1 status summary v d verdict
  status=$(cat "$logs/$seed.status")
  ran=$((ran + 1))
  summary=$(grep -m1 "RandomFaultTests summary" "$logs/$seed.log" || true)
  if [[ -z "$summary" ]]; then
    # The run never reached its checks (set-up failed): counted against the soak.
    echo "[$ran] seed=$seed: no summary (exit $status), see $logs/$seed.log"
    violations=$((violations + 1)); failed_seeds+=("$seed")
    return
  fi
  v=$(sed -n 's/.* violations=\([0-9]*\).*/\1/p' <<<"$summary")
  d=$(sed -n 's/.* disagreements=\([0-9]*\).*/\1/p' <<<"$summary")
  violations=$((violations + v)); disagreements=$((disagreements + d))
  verdict=ok
  if [[ $status -ne 0 || $v -ne 0 || $d -ne 0 ]]; then
    verdict="FAILED (exit $status), see $logs/$seed.log"; failed_seeds+=("$seed")
  else
    rm -f "$logs/$seed.log"
  fi
  echo "[$ran] ${summary#*summary } $verdict"
}

echo "soak: $seeds seeds, $play s of play each, $jobs at a time, at most $minutes min; logs in $logs"
running=() started=0
while (( started < seeds || ${#running[@]} > 0 )); do
  while (( started < seeds && ${#running[@]} < jobs )) && (( $(date +%s) - start < minutes * 60 )); do
    seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
    play_seed "$seed" &
    running+=("$seed"); started=$((started + 1))
  done
  (( ${#running[@]} > 0 )) || break
  wait -n
  still=()
  for seed in "${running[@]}"; do
    if [[ -f "$logs/$seed.status" ]]; then judge "$seed"; else still+=("$seed"); fi
  done
  running=("${still[@]}")
done

elapsed=$(( $(date +%s) - start ))
echo "soak: $ran seeds in $((elapsed / 60)) min $((elapsed % 60)) s"
echo "soak: invariant violations: $violations"
echo "soak: audit rows disagreeing with what the locks received: $disagreements"
if (( ${#failed_seeds[@]} > 0 )); then
  echo "soak: failing seeds (replay with FACEGATE_FAULT_SEED=N FACEGATE_FAULT_PLAY_SECONDS=$play): ${failed_seeds[*]}"
  exit 1
fi
(( ran >= seeds )) || { echo "soak: fewer seeds than asked ($ran of $seeds) within $minutes min"; exit 1; }
