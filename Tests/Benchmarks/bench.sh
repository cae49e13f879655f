#!/usr/bin/env bash
# `make bench`: runs every Tests/Benchmarks/bench.d/*.sh in order and writes BENCHMARKS.md with the
# command, the machine and each part's figures. Each part prints Markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=BENCHMARKS.md
tmp=$(mktemp)
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` on $(date -u +%Y-%m-%d). Figures are from one run on a shared machine:"
  echo "compare the ratios within a table, not absolute times across runs."
  echo
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- OS: $(. /etc/os-release; echo "$PRETTY_NAME"), $(swift --version 2>&1 | head -1)"
  echo "- OPENBLAS_CORETYPE in the environment: ${OPENBLAS_CORETYPE:-unset}"
  echo
} > "$tmp"
for part in Tests/Benchmarks/bench.d/*.sh; do
  [ -e "$part" ] || continue
  echo "make bench: $part" >&2
  bash "$part" >> "$tmp"
  echo >> "$tmp"
done
mv "$tmp" "$out"
echo "make bench: wrote $out" >&2
