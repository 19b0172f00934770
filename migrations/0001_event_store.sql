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

-- One row per stream: its current version and last hash. Appends compare-and-set this
-- row, which serializes writers of one stream and leaves other streams alone.
CREATE TABLE streams (
    stream_id   text PRIMARY KEY,
    version     integer NOT NULL CHECK (version >= 0),
    last_hash   bytea NOT NULL,
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
-- A version conflict raises SQLSTATE RP001 with the actual version in DETAIL (JSON).
-- Idempotency is the caller's first read of `commands`; a concurrent retry that slips
-- past it fails on the commands primary key, and the caller reads the stored result.
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
    current_versions integer[] := '{}';
    start_versions integer[];
    last_hashes bytea[] := '{}';
    versions integer[] := '{}';
    previous_hashes bytea[] := '{}';
    hashes bytea[] := '{}';
    result_streams jsonb := '[]';
    stream_index integer;
    current_version integer;
    current_hash bytea;
    was_inserted boolean;
    expected integer;
BEGIN
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

    -- Lock each stream's head row (creating it at version 0 if new) and check the
    -- expectation. Streams are locked in the order given; callers sort them so two bulk
    -- appends over the same streams cannot deadlock.
    FOR stream_index IN 1..stream_count LOOP
        INSERT INTO streams AS s (stream_id, version, last_hash, created_at, updated_at)
        VALUES (p_stream_ids[stream_index], 0, ''::bytea, recorded, recorded)
        ON CONFLICT (stream_id) DO UPDATE SET updated_at = s.updated_at
        RETURNING s.version, s.last_hash, (s.xmax = 0) INTO current_version, current_hash, was_inserted;

        expected := p_expected_versions[stream_index];
        IF (expected = 0 AND NOT was_inserted) OR (expected > 0 AND current_version <> expected) THEN
            RAISE EXCEPTION 'wrong expected version for stream %: expected %, actual %',
                p_stream_ids[stream_index], expected, current_version
                USING ERRCODE = 'RP001',
                      DETAIL = json_build_object('streamId', p_stream_ids[stream_index],
                                                 'expectedVersion', expected,
                                                 'actualVersion', current_version)::text;
        END IF;
        current_versions := current_versions || current_version;
        last_hashes := last_hashes || CASE WHEN current_version = 0 THEN NULL ELSE current_hash END;
    END LOOP;

    start_versions := current_versions;

    -- Give each event its stream version and chain its hash to the one before it.
    FOR event_index IN 1..event_count LOOP
        stream_index := p_event_streams[event_index];
        current_versions[stream_index] := current_versions[stream_index] + 1;
        versions := versions || current_versions[stream_index];
        previous_hashes := previous_hashes || last_hashes[stream_index];
        last_hashes[stream_index] := reprise_event_hash(
            last_hashes[stream_index], p_event_ids[event_index], p_stream_ids[stream_index],
            current_versions[stream_index], p_event_types[event_index], p_schema_versions[event_index],
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
        UPDATE streams SET version = current_versions[stream_index],
                           last_hash = last_hashes[stream_index],
                           updated_at = recorded
        WHERE stream_id = p_stream_ids[stream_index];
        result_streams := result_streams || jsonb_build_object(
            'streamId', p_stream_ids[stream_index],
            'previousVersion', start_versions[stream_index],
            'version', current_versions[stream_index]);
    END LOOP;

    INSERT INTO commands (command_id, result, recorded_at)
    VALUES (p_command_id,
            jsonb_build_object('streams', result_streams, 'eventCount', event_count,
                               'recordedAt', recorded),
            recorded);
    RETURN jsonb_build_object('streams', result_streams, 'eventCount', event_count, 'recordedAt', recorded);
END
$$;
