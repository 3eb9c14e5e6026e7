#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: grows with each issue"
