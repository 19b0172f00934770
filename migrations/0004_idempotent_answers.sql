-- An Idempotency-Key now keeps the answer its first request got, so a retry gets the same
-- status and body: after the first answer, after a crash mid-request, and after the
-- campaign has moved on so far that deciding the command again would answer otherwise.
--
-- A command that appended events records its key in the append's own transaction
-- (`reprise_append_keyed_batch` below): the key exists exactly when the events do, and costs
-- no commit of its own. Its answer is rebuilt from the first append's result (`commands`).
-- A command that appended nothing (a refusal decided by the domain, a no-op) records its
-- key with the answer as sent: status, the version its ETag named, and the body.
--
-- Keys expire after a retention (the setting `api.idempotency-retention`, 24 h by default):
-- a small service deletes expired rows in bounded batches, oldest first, skipping rows
-- another transaction holds, so the cleanup never waits on an append nor blocks one. Rows
-- written under 0003 (claimed before the command was decided, no answer) are read as
-- appended when `commands` has their command and as unused otherwise.
ALTER TABLE idempotency_keys
    ADD COLUMN answer_status  smallint CHECK (answer_status BETWEEN 100 AND 599),
    ADD COLUMN answer_version integer,
    ADD COLUMN answer_body    text;

CREATE INDEX idempotency_keys_recorded_at ON idempotency_keys (recorded_at);

-- `reprise_append_batch` with one more array, p_request_sha256 (per command: the request's
-- fingerprint, '' for a command without an Idempotency-Key). Every command that the batch
-- appends records its key in this transaction. A key that holds a refusal recorded meanwhile
-- by another process is overwritten: the events are in the log, and the log is the truth.
CREATE FUNCTION reprise_append_keyed_batch(
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
    p_data jsonb[],
    p_request_sha256 text[]
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    outcome jsonb;
BEGIN
    IF coalesce(array_length(p_request_sha256, 1), 0) <> coalesce(array_length(p_command_ids, 1), 0) THEN
        RAISE EXCEPTION 'append arrays differ in length' USING ERRCODE = 'RP002';
    END IF;
    outcome := reprise_append_batch(p_command_ids, p_correlation_ids, p_causation_ids, p_actors, p_append_commands,
                                    p_stream_ids, p_expected_versions, p_event_appends, p_event_ids, p_event_types,
                                    p_schema_versions, p_data);
    INSERT INTO idempotency_keys AS k (command_id, request_sha256, recorded_at)
    SELECT c.command_id, c.sha256, now()
    FROM unnest(p_command_ids, p_request_sha256) WITH ORDINALITY AS c(command_id, sha256, n)
    WHERE c.sha256 <> '' AND outcome -> (c.n::integer - 1) ->> 'status' = 'appended'
    ON CONFLICT (command_id) DO UPDATE
        SET request_sha256 = EXCLUDED.request_sha256, recorded_at = EXCLUDED.recorded_at,
            answer_status = NULL, answer_version = NULL, answer_body = NULL;
    RETURN outcome;
END
$$;
