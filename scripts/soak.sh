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
# play per seed), FACEGATE_SOAK_MINUTES (default 60: no new seed starts after this).
set -uo pipefail
cd "$(dirname "$0")/.."

seeds=${FACEGATE_SOAK_SEEDS:-200}
play=${FACEGATE_FAULT_PLAY_SECONDS:-8}
minutes=${FACEGATE_SOAK_MINUTES:-60}
logs=$(mktemp -d /tmp/facegate-soak.XXXXXX)
start=$(date +%s)
ran=0 violations=0 disagreements=0 failed_seeds=()

echo "soak: $seeds seeds, $play s of play each, at most $minutes min; logs in $logs"
for ((i = 1; i <= seeds; i++)); do
  if (( $(date +%s) - start > minutes * 60 )); then
    echo "soak: time budget of $minutes min reached after $ran seeds"
    break
  fi
  seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
  log="$logs/seed-$seed.log"
  FACEGATE_FAULT_SEED=$seed FACEGATE_FAULT_PLAY_SECONDS=$play \
    swift test --skip-build --filter 'ScenarioTests.RandomFaultTests' >"$log" 2>&1
  status=$?
  ran=$((ran + 1))
  summary=$(grep -m1 "RandomFaultTests summary" "$log" || true)
  if [[ -z "$summary" ]]; then
    # The run never reached its checks (set-up failed): count it against the soak.
    echo "[$i] seed=$seed: no summary (exit $status), see $log"
    violations=$((violations + 1)); failed_seeds+=("$seed")
    continue
  fi
  v=$(sed -n 's/.* violations=\([0-9]*\).*/\1/p' <<<"$summary")
  d=$(sed -n 's/.* disagreements=\([0-9]*\).*/\1/p' <<<"$summary")
  violations=$((violations + v)); disagreements=$((disagreements + d))
  verdict=ok
  if [[ $status -ne 0 || $v -ne 0 || $d -ne 0 ]]; then verdict="FAILED (exit $status), see $log"; failed_seeds+=("$seed"); fi
  echo "[$i] ${summary#*summary } $verdict"
  [[ $status -eq 0 && $v -eq 0 && $d -eq 0 ]] && rm -f "$log"
done

elapsed=$(( $(date +%s) - start ))
echo "soak: $ran seeds in $((elapsed / 60)) min $((elapsed % 60)) s"
echo "soak: invariant violations: $violations"
echo "soak: audit rows disagreeing with what the locks received: $disagreements"
if (( ${#failed_seeds[@]} > 0 )); then
  echo "soak: failing seeds (replay with FACEGATE_FAULT_SEED=N FACEGATE_FAULT_PLAY_SECONDS=$play): ${failed_seeds[*]}"
  exit 1
fi
(( ran >= seeds )) || { echo "soak: fewer seeds than asked ($ran of $seeds)"; exit 1; }
