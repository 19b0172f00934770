-- Fan-out and projections: the global sequence, the wake-up signal for the relay, and
-- the bookkeeping every projector shares.

-- The global sequence: one dense number per event, 1, 2, 3, … in the log's stable total
-- order (transaction_id, position). Only the relay assigns it, and it publishes event N
-- as message N of the JetStream stream, so auditors, rebuilds and live consumers all
-- speak the same number. The log itself stays insert-only; the number lives beside it.
CREATE TABLE event_sequence (
    global_sequence bigint PRIMARY KEY CHECK (global_sequence >= 1),
    transaction_id  xid8 NOT NULL,
    position        bigint NOT NULL UNIQUE
);

-- Numbers the next events of the stable prefix and returns them, in order, with the
-- columns of a stored event. Called by the relay holding the sequencer lock; the
-- transaction lock below also makes a stray second caller wait rather than collide, and
-- the primary key would refuse a duplicate number anyway.
CREATE FUNCTION reprise_sequence_next(p_limit integer)
RETURNS TABLE (
    global_sequence bigint, transaction_text text, event_position bigint, event_id uuid, stream_id text,
    stream_version integer, event_type text, schema_version integer, data_text text, correlation_id uuid,
    causation_id uuid, actor text, command_id text, recorded_micros bigint, previous_hash bytea, hash bytea
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    last_sequence bigint;
    last_transaction xid8;
    last_position bigint;
BEGIN
    -- Per schema: advisory locks are database-wide, and schemas must not wait on each other.
    PERFORM pg_advisory_xact_lock(hashtextextended('reprise:sequencer:' || current_schema(), 0));
    SELECT s.global_sequence, s.transaction_id, s.position INTO last_sequence, last_transaction, last_position
    FROM event_sequence s ORDER BY s.global_sequence DESC LIMIT 1;
    last_sequence := coalesce(last_sequence, 0);
    last_transaction := coalesce(last_transaction, '0'::xid8);
    last_position := coalesce(last_position, 0);

    RETURN QUERY
    WITH next_events AS (
        SELECT e.transaction_id, e.position
        FROM events e
        WHERE (e.transaction_id, e.position) > (last_transaction, last_position)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.transaction_id, e.position
        LIMIT p_limit
    ), numbered AS (
        INSERT INTO event_sequence (global_sequence, transaction_id, position)
        SELECT last_sequence + row_number() OVER (ORDER BY n.transaction_id, n.position), n.transaction_id, n.position
        FROM next_events n
        RETURNING event_sequence.global_sequence, event_sequence.transaction_id, event_sequence.position
    )
    SELECT n.global_sequence, e.transaction_id::text, e.position, e.event_id, e.stream_id, e.stream_version,
           e.event_type, e.schema_version, e.data::text, e.correlation_id, e.causation_id, e.actor, e.command_id,
           (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.previous_hash, e.hash
    FROM numbered n JOIN events e ON e.transaction_id = n.transaction_id AND e.position = n.position
    ORDER BY n.global_sequence;
END;
$$;

-- Wakes the relay when events commit: one notification per appending transaction
-- (Postgres folds equal notifications of one transaction), delivered at commit. The
-- payload is the schema, so relays of other schemas on the same database ignore it.
CREATE FUNCTION reprise_notify_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('reprise_appended', current_schema());
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify_appended AFTER INSERT ON events
FOR EACH STATEMENT EXECUTE FUNCTION reprise_notify_appended();

-- Projections. Each projector keeps its read model in tables suffixed with a
-- generation (`scores_g1`, …). Readers use the live generation; a rebuild fills the
-- next one beside it and swaps by changing `live_generation`, in one transaction.
CREATE TABLE projections (
    name            text PRIMARY KEY,
    live_generation integer NOT NULL CHECK (live_generation >= 1),
    swapped_at      timestamptz NOT NULL
);

-- How far each generation of each projection has applied the log, written in the same
-- transaction as the read-model changes it covers.
CREATE TABLE projection_checkpoints (
    name            text NOT NULL,
    generation      integer NOT NULL CHECK (generation >= 1),
    global_sequence bigint NOT NULL CHECK (global_sequence >= 0),
    PRIMARY KEY (name, generation)
);

-- Events a projection could not apply, with the error. Whether the projector then
-- stops or skips is its own policy; either way the event is kept here to be looked at.
CREATE TABLE projection_dead_letters (
    name            text NOT NULL,
    global_sequence bigint NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    error           text NOT NULL,
    attempts        integer NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (name, global_sequence)
);
