#!/usr/bin/env bash
# The one simulated suite this project gates itself on: every built-in scenario, candidate configuration
# (adaptive) only, one replication, each scenario's own seed, so it is deterministic and takes well under a
# minute. .ci/run compares its output with the committed RunResults in baselines/; baselines/accept.sh
# rewrites them. Usage: bash baselines/suite.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: baselines/suite.sh OUT_DIR}"
rm -rf "$out"
npx tsx cli/main.ts suite scenarios --mode sim --configs candidate --replications 1 --no-report --out "$out"
