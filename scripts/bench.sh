#!/usr/bin/env bash
# Benchmarks print their figures; ratios are measured side by side in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
.build/release/facegate-bench all
