#!/usr/bin/env bash
# Dead letters from the command line (the same code as GET/POST /ops/dead-letters):
#   scripts/dead_letters.sh list [QUEUE]
#   scripts/dead_letters.sh replay QUEUE JOB_ID     (or --all)
# Uses DATABASE_URL (default: the database of scripts/run.sh) and QUEUES_FILE (default queues.yaml).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:55432/checkout}"
export QUEUES_FILE="${QUEUES_FILE:-$root/queues.yaml}"
case "${1:-}" in
    list|replay) exec "$root/build/bin/checkout-ops" dead-letters "$@" ;;
    *) sed -n '2,5p' "$0"; exit 2 ;;
esac
