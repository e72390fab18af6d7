#!/usr/bin/env bash
# Applies migrations/NNN_*.sql in order, each once, each in its own transaction, recorded in
# schema_migrations. Safe to run twice and safe to run concurrently (an advisory lock serializes).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
: "${DATABASE_URL:?DATABASE_URL must be set (a libpq URI)}"
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -X "$@"; }

psql_ -c "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v 'already exists' || true
for f in "$here"/migrations/[0-9]*.sql; do
    v="$(basename "$f" .sql)"
    psql_ <<SQL
BEGIN;
SELECT pg_advisory_xact_lock(727274001) AS locked \gset
SELECT NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = '$v') AS needed \gset
\if :needed
\echo applying $v
\i $f
INSERT INTO schema_migrations (version) VALUES ('$v');
\endif
COMMIT;
SQL
done
