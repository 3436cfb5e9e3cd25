#!/usr/bin/env bash
# Regenerate the committed example report with the real pipeline:
# `qvc run iris --frontier` (the two matched pairs and the classical frontier, tuned, the default ten seeds 42-51),
# then copy the run folder's files here.
# Usage (from anywhere): bash reports/example/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python -m qvc run iris --frontier --out "$tmp" --quiet
run="$(ls -d "$tmp"/iris-*)"
cp "$run"/results.csv "$run"/metadata.json "$run"/tuning.json "$run"/report.md "$run"/report.html reports/example/
# The report is rebuilt from the copied files alone, exactly as `qvc report` does for any run.
python -m qvc report reports/example
