-- Issue 18: migration 016 indexed dead letters by (queue, updated_at). Every state change writes
-- updated_at, and a column in any index (a partial one too) rules out a HOT update: the job rows'
-- updates went from 96-100% HOT to none (bench/history.sh, 2026-12-07: 0.98 non-HOT updates and one
-- more B-tree entry per order). Neither queue nor id ever changes, and `dead` only when a job dies or is
-- replayed: state changes are HOT again. Dead letters are few; they are sorted by time after the index
-- finds them.
DROP INDEX jobs_dead;
CREATE INDEX jobs_dead ON jobs (queue, id) WHERE dead;
