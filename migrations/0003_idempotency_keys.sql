-- An HTTP Idempotency-Key fixes the request it was first sent with. The API records the
-- SHA-256 of the request's canonical body under the command id the key maps to before
-- it hands the command on; the same key later sent with another body is refused (422)
-- instead of replaying an answer to a request the caller did not send.
--
-- A row is written once and never changed; it does not say whether the command was
-- appended (the `commands` table does).
CREATE TABLE idempotency_keys (
    command_id      text PRIMARY KEY,
    request_sha256  text NOT NULL CHECK (length(request_sha256) = 64),
    recorded_at     timestamptz NOT NULL
);
