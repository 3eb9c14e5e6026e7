#!/usr/bin/env bash
# make bench: every figure the issues ask for, each next to its baseline measured in the
# same run. Release build; log lines below warnings are silenced so the figures stand out.
set -euo pipefail
cd "$(dirname "$0")/.."
export FACEGATE_LOG_LEVEL=warn
exec .build/release/facegate-bench all
