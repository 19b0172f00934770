-- The event log: the single source of truth. Rows are only ever inserted.
--
-- Ordering. `position` is handed out at insert time, but rows become visible at commit
-- time, and the two orders differ: a reader that pages by `position` alone skips the
-- rows of a transaction that committed late. Every row therefore carries the id of the
-- transaction that wrote it, and readers take only rows below the visibility horizon
-- (`pg_snapshot_xmin(pg_current_snapshot())`), ordered by (transaction_id, position).
-- Below the horizon no row can appear any more, so that prefix is stable and every
-- reader sees the same total order. Writers never take a global lock.
--
-- Tamper evidence. Each row's `hash` is SHA-256 over the previous hash of its stream and
-- the row's canonical content (see reprise_event_hash), so editing or removing any event
-- breaks the chain from there on.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL CHECK (stream_version >= 1),
    event_type      text NOT NULL,
    schema_version  integer NOT NULL CHECK (schema_version >= 1),
    data            jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    correlation_id  uuid NOT NULL,
    causation_id    uuid,
    actor           text NOT NULL,
    command_id      text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    previous_hash   bytea CHECK (previous_hash IS NULL OR length(previous_hash) = 32),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (stream_id, stream_version),
    UNIQUE (event_id)
);

-- The stable total order that followers and the sequencer page through.
CREATE INDEX events_log_order ON events (transaction_id, position);
CREATE INDEX events_recorded_at ON events (stream_id, recorded_at);

-- One row per stream with its current version. Appends bump it with a compare-and-set,
-- which serializes the writers of one stream and leaves other streams alone.
CREATE TABLE streams (
    stream_id   text PRIMARY KEY,
    version     integer NOT NULL CHECK (version >= 1),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Idempotency: a command id is recorded with the result of its first append, in the
-- same transaction. A retry finds it and gets that result back; nothing is appended twice.
CREATE TABLE commands (
    command_id  text PRIMARY KEY,
    result      jsonb NOT NULL,
    recorded_at timestamptz NOT NULL
);

-- SHA-256 over the previous hash of the stream and the event's canonical content: each
-- field as its UTF-8 byte length, a colon and its text, so no field can bleed into the
-- next. `reprise audit verify` recomputes exactly this in Swift.
CREATE FUNCTION reprise_event_hash(
    previous_hash bytea, event_id uuid, stream_id text, stream_version integer,
    event_type text, schema_version integer, data jsonb, correlation_id uuid,
    causation_id uuid, actor text, command_id text, recorded_at timestamptz
) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(coalesce(previous_hash, ''::bytea) || convert_to(
        string_agg(octet_length(field) || ':' || field, '' ORDER BY ordinal), 'UTF8'))
    FROM unnest(ARRAY[
        event_id::text, stream_id, stream_version::text, event_type, schema_version::text,
        data::text, correlation_id::text, coalesce(causation_id::text, ''), actor, command_id,
        ((extract(epoch FROM recorded_at) * 1000000)::bigint)::text
    ]) WITH ORDINALITY AS fields(field, ordinal)
$$;

-- Appends the events of one command, to one or several streams, atomically and in one
-- round trip.
--
--   p_expected_versions, per stream: -1 any version, 0 the stream must not exist yet,
--   N the stream must be exactly at version N.
--   p_event_streams, per event: the 1-based index of its stream in p_stream_ids.
--
-- It must be the first write of its transaction (see the locks below).
-- Returns the result as JSON. A command id seen before returns the first result with
-- "duplicate": true and appends nothing. (A retry naming other streams than the first
-- attempt could slip past that check; it fails on the commands key, and the caller asks
-- again.)
-- A version conflict raises SQLSTATE RP001 with the actual version in DETAIL (JSON);
-- malformed input raises RP002.
CREATE FUNCTION reprise_append(
    p_command_id text,
    p_stream_ids text[],
    p_expected_versions integer[],
    p_event_streams integer[],
    p_event_ids uuid[],
    p_event_types text[],
    p_schema_versions integer[],
    p_data jsonb[],
    p_correlation_id uuid,
    p_causation_id uuid,
    p_actor text
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    stream_count integer := coalesce(array_length(p_stream_ids, 1), 0);
    event_count integer := coalesce(array_length(p_event_ids, 1), 0);
    recorded timestamptz := now();
    earlier jsonb;
    counts integer[];
    start_versions integer[] := '{}';
    next_versions integer[];
    last_hashes bytea[] := '{}';
    versions integer[] := '{}';
    previous_hashes bytea[] := '{}';
    hashes bytea[] := '{}';
    result_streams jsonb := '[]';
    result jsonb;
    stream_index integer;
    previous_version integer;
    previous_hash bytea;
    was_inserted boolean;
    expected integer;
    lock_key bigint;
BEGIN
    -- The transaction id orders the log, so it must be taken after the stream locks
    -- below; an id taken earlier could order this append before one that locked a
    -- shared stream first and so holds the lower stream version.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'reprise_append must be the first write of its transaction' USING ERRCODE = 'RP002';
    END IF;

    IF event_count = 0 THEN
        RAISE EXCEPTION 'an append needs at least one event' USING ERRCODE = 'RP002';
    END IF;
    IF stream_count = 0 OR stream_count <> coalesce(array_length(p_expected_versions, 1), 0)
       OR event_count <> coalesce(array_length(p_event_streams, 1), 0)
       OR event_count <> coalesce(array_length(p_event_types, 1), 0)
       OR event_count <> coalesce(array_length(p_schema_versions, 1), 0)
       OR event_count <> coalesce(array_length(p_data, 1), 0) THEN
        RAISE EXCEPTION 'append arrays differ in length' USING ERRCODE = 'RP002';
    END IF;
    counts := array_fill(0, ARRAY[stream_count]);
    FOR event_index IN 1..event_count LOOP
        stream_index := p_event_streams[event_index];
        IF stream_index IS NULL OR stream_index < 1 OR stream_index > stream_count THEN
            RAISE EXCEPTION 'event % names no stream of this append', event_index USING ERRCODE = 'RP002';
        END IF;
        counts[stream_index] := counts[stream_index] + 1;
    END LOOP;

    -- Serialize the writers of each stream with transaction advisory locks, taken in key
    -- order (so two bulk appends cannot deadlock) and before the transaction has an id.
    -- Whoever waits for a stream gets its id only after the holder committed, so the
    -- log order (transaction_id, position) keeps every stream in version order.
    FOR lock_key IN SELECT DISTINCT hashtextextended(id, 0) FROM unnest(p_stream_ids) AS id ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;

    -- A retry of a command that is being appended right now waited on the same streams
    -- above, so the first attempt has committed by now and its result is visible here.
    SELECT c.result INTO earlier FROM commands c WHERE c.command_id = p_command_id;
    IF FOUND THEN
        RETURN earlier || '{"duplicate": true}';
    END IF;
    PERFORM pg_current_xact_id();

    -- Bump each stream's version by its event count, creating the stream if new, and
    -- check the expectation against the version before.
    FOR stream_index IN 1..stream_count LOOP
        IF counts[stream_index] = 0 THEN
            RAISE EXCEPTION 'stream % has no events in this append', p_stream_ids[stream_index] USING ERRCODE = 'RP002';
        END IF;
        INSERT INTO streams AS s (stream_id, version, created_at, updated_at)
        VALUES (p_stream_ids[stream_index], counts[stream_index], recorded, recorded)
        ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, updated_at = EXCLUDED.updated_at
        RETURNING s.version - counts[stream_index], (s.xmax = 0) INTO previous_version, was_inserted;

        expected := p_expected_versions[stream_index];
        IF (expected = 0 AND NOT was_inserted) OR (expected > 0 AND previous_version <> expected) THEN
            RAISE EXCEPTION 'wrong expected version for stream %: expected %, actual %',
                p_stream_ids[stream_index], expected, previous_version
                USING ERRCODE = 'RP001',
                      DETAIL = json_build_object('streamId', p_stream_ids[stream_index],
                                                 'expectedVersion', expected,
                                                 'actualVersion', previous_version)::text;
        END IF;

        previous_hash := NULL;
        IF previous_version > 0 THEN
            SELECT e.hash INTO previous_hash FROM events e
            WHERE e.stream_id = p_stream_ids[stream_index] AND e.stream_version = previous_version;
        END IF;
        start_versions := start_versions || previous_version;
        last_hashes := last_hashes || previous_hash;
    END LOOP;

    -- Give each event its stream version and chain its hash to the one before it.
    next_versions := start_versions;
    FOR event_index IN 1..event_count LOOP
        stream_index := p_event_streams[event_index];
        next_versions[stream_index] := next_versions[stream_index] + 1;
        versions := versions || next_versions[stream_index];
        previous_hashes := previous_hashes || last_hashes[stream_index];
        last_hashes[stream_index] := reprise_event_hash(
            last_hashes[stream_index], p_event_ids[event_index], p_stream_ids[stream_index],
            next_versions[stream_index], p_event_types[event_index], p_schema_versions[event_index],
            p_data[event_index], p_correlation_id, p_causation_id, p_actor, p_command_id, recorded);
        hashes := hashes || last_hashes[stream_index];
    END LOOP;

    INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, data,
                        correlation_id, causation_id, actor, command_id, recorded_at, previous_hash, hash)
    SELECT e.event_id, p_stream_ids[e.stream_index], e.version, e.event_type, e.schema_version, e.data,
           p_correlation_id, p_causation_id, p_actor, p_command_id, recorded, e.previous_hash, e.hash
    FROM unnest(p_event_ids, p_event_streams, versions, p_event_types, p_schema_versions, p_data,
                previous_hashes, hashes)
         AS e(event_id, stream_index, version, event_type, schema_version, data, previous_hash, hash);

    FOR stream_index IN 1..stream_count LOOP
        result_streams := result_streams || jsonb_build_object(
            'streamId', p_stream_ids[stream_index],
            'previousVersion', start_versions[stream_index],
            'version', next_versions[stream_index]);
    END LOOP;
    result := jsonb_build_object('streams', result_streams, 'eventCount', event_count,
                                 'recordedAtMicroseconds', (extract(epoch FROM recorded) * 1000000)::bigint);
    INSERT INTO commands (command_id, result, recorded_at) VALUES (p_command_id, result, recorded);
    RETURN result;
END
$$;
