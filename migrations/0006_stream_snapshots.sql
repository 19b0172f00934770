-- Snapshots of a stream's folded state (a campaign's, today): a cache that spares a read
-- of the state from replaying a long history. Never a source of truth: auditors replay the
-- log, and a snapshot whose format the code does not know is ignored. One row a stream,
-- the newest version kept.
CREATE TABLE stream_snapshots (
    stream_id  text PRIMARY KEY,
    version    integer NOT NULL CHECK (version >= 1),
    format     integer NOT NULL,
    state      bytea NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now()
);
