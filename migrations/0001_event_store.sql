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
-- Tamper evidence. Each row's `hash` is SHA-256 over the previous hash of its stream
-- followed by the row's canonical content: each of event_id, stream_id, stream_version,
-- event_type, schema_version, data (as jsonb prints it), correlation_id, causation_id
-- ('' when NULL), actor, command_id and recorded_at (microseconds since the epoch) as its
-- UTF-8 byte length, a colon and its text. Editing or removing an event breaks the chain
-- from there on. `reprise audit verify` recomputes it in Swift (EventHash).
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

-- One row per stream: its current version and the hash of its last event, which the
-- next append chains to. Auditors compare it with the stream's last event, which shows
-- events removed from the end of a stream.
CREATE TABLE streams (
    stream_id   text PRIMARY KEY,
    version     integer NOT NULL CHECK (version >= 1),
    last_hash   bytea NOT NULL CHECK (length(last_hash) = 32),
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

-- Appends the events of many commands in one transaction and one round trip.
--
-- Each command is all or nothing on its own: its stream expectations are checked
-- before anything is written, and a command whose expectation fails writes nothing,
-- while the others in the batch go ahead. Concurrent single-event commands are thus
-- group-committed: the caller batches what arrives while an earlier batch is in flight.
--
-- Arguments are parallel arrays, grouped in order:
--   per command:         p_command_ids, p_correlation_ids, p_causation_ids, p_actors
--   per stream append:   p_append_commands (1-based command index), p_stream_ids,
--                        p_expected_versions (-1 any, 0 no stream yet, N exactly N)
--   per event:           p_event_appends (1-based stream-append index), p_event_ids,
--                        p_event_types, p_schema_versions, p_data
-- Appends are grouped by command and events by append, in order; a command names each
-- stream at most once, and a batch names each command id at most once.
--
-- Returns a JSON array with one object per command:
--   {"status": "appended", "streams": [{"streamId", "previousVersion", "version"}], "eventCount", "recordedAtMicroseconds"}
--   {"status": "duplicate", ...the first append's result...}   (the command id was seen before)
--   {"status": "conflict", "streamId", "expectedVersion", "actualVersion"}
-- Malformed input raises SQLSTATE RP002. It must be the first write of its transaction.
CREATE FUNCTION reprise_append_batch(
    p_command_ids text[],
    p_correlation_ids uuid[],
    p_causation_ids uuid[],
    p_actors text[],
    p_append_commands integer[],
    p_stream_ids text[],
    p_expected_versions integer[],
    p_event_appends integer[],
    p_event_ids uuid[],
    p_event_types text[],
    p_schema_versions integer[],
    p_data jsonb[]
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    command_count integer := coalesce(array_length(p_command_ids, 1), 0);
    append_count integer := coalesce(array_length(p_stream_ids, 1), 0);
    event_count integer := coalesce(array_length(p_event_ids, 1), 0);
    recorded timestamptz := now();
    recorded_text text := ((extract(epoch FROM recorded) * 1000000)::bigint)::text;
    -- The distinct streams of the batch, and each one's head as the batch goes on.
    batch_streams text[];
    head_versions integer[];
    head_hashes bytea[];
    head_hash bytea;
    -- Per append: its stream's index in batch_streams, its event count, its first version.
    append_stream integer[] := '{}';
    append_events integer[];
    append_next_version integer[];
    -- Per command.
    command_first_append integer[];
    command_status text[];
    command_results jsonb[];
    command_tails text[];
    earlier_command record;
    command_events integer;
    -- The rows to insert.
    out_previous_hashes bytea[] := '{}';
    out_hashes bytea[] := '{}';
    result_streams jsonb;
    conflict jsonb;
    command_index integer;
    append_index integer;
    stream_index integer;
    expected integer;
    actual integer;
    lock_key bigint;
    event record;
    id_text text;
    version_text text;
    schema_text text;
    data_text text;
    accepted_count integer := 0;
BEGIN
    -- The transaction id orders the log, so it must be taken after the stream locks
    -- below; an id taken earlier could order this batch before one that locked a shared
    -- stream first and so holds the lower stream version.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'reprise_append_batch must be the first write of its transaction' USING ERRCODE = 'RP002';
    END IF;
    IF command_count = 0 OR append_count = 0 OR event_count = 0 THEN
        RAISE EXCEPTION 'an append needs at least one command, stream and event' USING ERRCODE = 'RP002';
    END IF;
    IF command_count <> coalesce(array_length(p_correlation_ids, 1), 0)
       OR command_count <> coalesce(array_length(p_causation_ids, 1), 0)
       OR command_count <> coalesce(array_length(p_actors, 1), 0)
       OR append_count <> coalesce(array_length(p_append_commands, 1), 0)
       OR append_count <> coalesce(array_length(p_expected_versions, 1), 0)
       OR event_count <> coalesce(array_length(p_event_appends, 1), 0)
       OR event_count <> coalesce(array_length(p_event_types, 1), 0)
       OR event_count <> coalesce(array_length(p_schema_versions, 1), 0)
       OR event_count <> coalesce(array_length(p_data, 1), 0) THEN
        RAISE EXCEPTION 'append arrays differ in length' USING ERRCODE = 'RP002';
    END IF;

    -- Serialize the writers of each stream (and each command id) with transaction
    -- advisory locks, taken in key order so two batches cannot deadlock, and before the
    -- transaction has an id: whoever waits gets its id only after the holder committed,
    -- so the log order (transaction_id, position) keeps every stream in version order.
    FOR lock_key IN
        SELECT DISTINCT hashtextextended(key, 0)
        FROM (SELECT unnest(p_stream_ids) UNION ALL SELECT 'command:' || unnest(p_command_ids)) AS keys(key)
        ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    PERFORM pg_current_xact_id();

    -- The heads, one index lookup each: a join here would be planned once for all
    -- batch sizes, and the generic plan can scan the whole table.
    SELECT array_agg(DISTINCT id ORDER BY id) INTO batch_streams FROM unnest(p_stream_ids) AS id;
    head_versions := array_fill(0, ARRAY[array_length(batch_streams, 1)]);
    head_hashes := array_fill(NULL::bytea, ARRAY[array_length(batch_streams, 1)]);
    FOR stream_index IN 1..array_length(batch_streams, 1) LOOP
        SELECT s.version, s.last_hash INTO actual, head_hash
        FROM streams s WHERE s.stream_id = batch_streams[stream_index];
        head_versions[stream_index] := coalesce(actual, 0);
        head_hashes[stream_index] := head_hash;
    END LOOP;

    append_events := array_fill(0, ARRAY[append_count]);
    append_next_version := array_fill(0, ARRAY[append_count]);
    command_first_append := array_fill(0, ARRAY[command_count + 1]);
    command_status := array_fill(NULL::text, ARRAY[command_count]);
    command_results := array_fill(NULL::jsonb, ARRAY[command_count]);
    command_tails := array_fill(NULL::text, ARRAY[command_count]);
    FOR append_index IN 1..append_count LOOP
        command_index := p_append_commands[append_index];
        IF command_index IS NULL OR command_index < 1 OR command_index > command_count
           OR (append_index > 1 AND command_index < p_append_commands[append_index - 1]) THEN
            RAISE EXCEPTION 'stream append % names no command of this batch, or is out of order', append_index USING ERRCODE = 'RP002';
        END IF;
        IF command_first_append[command_index] = 0 THEN
            command_first_append[command_index] := append_index;
        END IF;
        append_stream := append_stream || array_position(batch_streams, p_stream_ids[append_index]);
    END LOOP;
    command_first_append[command_count + 1] := append_count + 1;
    FOR event_index IN 1..event_count LOOP
        append_index := p_event_appends[event_index];
        IF append_index IS NULL OR append_index < 1 OR append_index > append_count
           OR (event_index > 1 AND append_index < p_event_appends[event_index - 1]) THEN
            RAISE EXCEPTION 'event % names no stream append of this batch, or is out of order', event_index USING ERRCODE = 'RP002';
        END IF;
        append_events[append_index] := append_events[append_index] + 1;
    END LOOP;
    FOR command_index IN 1..command_count LOOP
        IF command_first_append[command_index] = 0 THEN
            RAISE EXCEPTION 'command % has no stream appends', p_command_ids[command_index] USING ERRCODE = 'RP002';
        END IF;
    END LOOP;
    FOR append_index IN 1..append_count LOOP
        IF append_events[append_index] = 0 THEN
            RAISE EXCEPTION 'stream % has no events in this append', p_stream_ids[append_index] USING ERRCODE = 'RP002';
        END IF;
    END LOOP;

    -- Commands already appended (by an earlier call) get their first result back.
    FOR earlier_command IN
        SELECT c.command_id, c.result FROM commands c WHERE c.command_id = ANY (p_command_ids)
    LOOP
        command_index := array_position(p_command_ids, earlier_command.command_id);
        command_status[command_index] := 'duplicate';
        command_results[command_index] := earlier_command.result || '{"status": "duplicate"}';
    END LOOP;

    -- Decide each command against the heads as the commands before it leave them.
    FOR command_index IN 1..command_count LOOP
        CONTINUE WHEN command_status[command_index] IS NOT NULL;
        conflict := NULL;
        FOR append_index IN command_first_append[command_index]..command_first_append[command_index + 1] - 1 LOOP
            expected := p_expected_versions[append_index];
            actual := head_versions[append_stream[append_index]];
            IF (expected = 0 AND actual <> 0) OR (expected > 0 AND actual <> expected) THEN
                conflict := jsonb_build_object('status', 'conflict', 'streamId', p_stream_ids[append_index],
                                               'expectedVersion', expected, 'actualVersion', actual);
                EXIT;
            END IF;
        END LOOP;
        IF conflict IS NOT NULL THEN
            command_status[command_index] := 'conflict';
            command_results[command_index] := conflict;
            CONTINUE;
        END IF;
        result_streams := '[]';
        command_events := 0;
        FOR append_index IN command_first_append[command_index]..command_first_append[command_index + 1] - 1 LOOP
            stream_index := append_stream[append_index];
            command_events := command_events + append_events[append_index];
            append_next_version[append_index] := head_versions[stream_index] + 1;
            result_streams := result_streams || jsonb_build_object(
                'streamId', p_stream_ids[append_index],
                'previousVersion', head_versions[stream_index],
                'version', head_versions[stream_index] + append_events[append_index]);
            head_versions[stream_index] := head_versions[stream_index] + append_events[append_index];
        END LOOP;
        command_status[command_index] := 'appended';
        command_results[command_index] := jsonb_build_object(
            'status', 'appended', 'streams', result_streams,
            'eventCount', command_events,
            'recordedAtMicroseconds', recorded_text::bigint);
        -- The hashed fields every event of the command shares, rendered once.
        command_tails[command_index] :=
            octet_length(p_correlation_ids[command_index]::text) || ':' || p_correlation_ids[command_index]::text ||
            octet_length(coalesce(p_causation_ids[command_index]::text, '')) || ':' || coalesce(p_causation_ids[command_index]::text, '') ||
            octet_length(p_actors[command_index]) || ':' || p_actors[command_index] ||
            octet_length(p_command_ids[command_index]) || ':' || p_command_ids[command_index] ||
            octet_length(recorded_text) || ':' || recorded_text;
        accepted_count := accepted_count + 1;
    END LOOP;

    IF accepted_count > 0 THEN
        -- Chain each accepted event's hash to the one before it in its stream (the
        -- canonical content is described at the top). Only the hashes are sequential;
        -- everything else is set-based in the INSERT below.
        FOR event IN
            SELECT u.append_index, u.event_id, u.event_type, u.schema_version, u.data
            FROM unnest(p_event_appends, p_event_ids, p_event_types, p_schema_versions, p_data)
                 AS u(append_index, event_id, event_type, schema_version, data)
        LOOP
            command_index := p_append_commands[event.append_index];
            CONTINUE WHEN command_status[command_index] <> 'appended';
            stream_index := append_stream[event.append_index];
            id_text := event.event_id::text;
            version_text := append_next_version[event.append_index]::text;
            schema_text := event.schema_version::text;
            data_text := event.data::text;
            out_previous_hashes := out_previous_hashes || head_hashes[stream_index];
            head_hashes[stream_index] := sha256(coalesce(head_hashes[stream_index], ''::bytea) || convert_to(
                octet_length(id_text) || ':' || id_text ||
                octet_length(batch_streams[stream_index]) || ':' || batch_streams[stream_index] ||
                octet_length(version_text) || ':' || version_text ||
                octet_length(event.event_type) || ':' || event.event_type ||
                octet_length(schema_text) || ':' || schema_text ||
                octet_length(data_text) || ':' || data_text ||
                command_tails[command_index], 'UTF8'));
            out_hashes := out_hashes || head_hashes[stream_index];
            append_next_version[event.append_index] := append_next_version[event.append_index] + 1;
        END LOOP;

        -- The accepted events in order, numbered within their append (for the version)
        -- and overall (to pair them with the hashes computed above).
        INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, data,
                            correlation_id, causation_id, actor, command_id, recorded_at, previous_hash, hash)
        SELECT e.event_id, p_stream_ids[e.append_index],
               append_next_version[e.append_index] - append_events[e.append_index] + e.within_append - 1,
               e.event_type, e.schema_version, e.data,
               p_correlation_ids[e.command_index], p_causation_ids[e.command_index], p_actors[e.command_index],
               p_command_ids[e.command_index], recorded, h.previous_hash, h.hash
        FROM (
            SELECT u.*, p_append_commands[u.append_index] AS command_index,
                   row_number() OVER (PARTITION BY u.append_index ORDER BY u.ordinal) AS within_append,
                   row_number() OVER (ORDER BY u.ordinal) AS accepted_ordinal
            FROM unnest(p_event_appends, p_event_ids, p_event_types, p_schema_versions, p_data)
                 WITH ORDINALITY AS u(append_index, event_id, event_type, schema_version, data, ordinal)
            WHERE command_status[p_append_commands[u.append_index]] = 'appended'
        ) AS e
        JOIN unnest(out_hashes, out_previous_hashes) WITH ORDINALITY AS h(hash, previous_hash, ordinal)
          ON h.ordinal = e.accepted_ordinal;

        INSERT INTO streams AS s (stream_id, version, last_hash, created_at, updated_at)
        SELECT id, version, last_hash, recorded, recorded
        FROM unnest(batch_streams, head_versions, head_hashes) AS u(id, version, last_hash)
        WHERE version > 0
        ON CONFLICT (stream_id) DO UPDATE
            SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, updated_at = EXCLUDED.updated_at
        WHERE s.version <> EXCLUDED.version;

        INSERT INTO commands (command_id, result, recorded_at)
        SELECT p_command_ids[i], command_results[i] - 'status', recorded
        FROM generate_series(1, command_count) AS i
        WHERE command_status[i] = 'appended';
    END IF;

    RETURN to_jsonb(command_results);
END
$$;

-- One command: the batch of one, for operators and tests calling it by hand.
CREATE FUNCTION reprise_append(
    p_command_id text, p_stream_ids text[], p_expected_versions integer[], p_event_streams integer[],
    p_event_ids uuid[], p_event_types text[], p_schema_versions integer[], p_data jsonb[],
    p_correlation_id uuid, p_causation_id uuid, p_actor text
) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT reprise_append_batch(
        ARRAY[p_command_id], ARRAY[p_correlation_id], ARRAY[p_causation_id], ARRAY[p_actor],
        array_fill(1, ARRAY[coalesce(array_length(p_stream_ids, 1), 0)]), p_stream_ids, p_expected_versions,
        p_event_streams, p_event_ids, p_event_types, p_schema_versions, p_data
    ) -> 0
$$;
