#!/usr/bin/env bash
# Regenerate the committed sweep example with the real pipeline:
# `qvc sweep experiments/breakeven.toml` (288 points: full split, 8 seeds, tuned, device-accuracy search;
# ~40 min wall on 2 cores), then copy the
# sweep folder's files here and rebuild the report from the copies alone.
# Usage (from anywhere): bash reports/scaling-example/regenerate.sh [--workers N]
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python -m qvc sweep experiments/breakeven.toml --out "$tmp" --quiet --no-report "$@"
run="$(ls -d "$tmp"/breakeven-*)"
dest=reports/scaling-example
cp "$run"/sweep.json "$run"/spec.toml "$run"/points.jsonl "$run"/results.csv "$dest"/
python -c "from qvc.report.sweep_report import write_sweep_report; write_sweep_report('$dest')"
