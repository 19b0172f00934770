import Postgres

/// The event store's SQL, prepared once per connection.
enum Statements {
    /// Columns of a `RecordedEvent`, in the order `RecordedEventColumns.decode` reads them, with
    /// binary results (`eventRead`). `data::text` is what the hash chain covers; the time comes as
    /// exact microseconds.
    static let eventColumns = """
        transaction_id::text AS transaction_text, position, event_id, stream_id, stream_version, event_type, schema_version,
        data::text, correlation_id, causation_id, actor, command_id,
        (extract(epoch FROM recorded_at) * 1000000)::bigint AS recorded_micros, previous_hash, hash
        """

    /// A statement whose rows `RecordedEventColumns.decode` reads: binary results.
    static func eventRead(name: String, sql: String) -> PostgresPreparedStatement {
        PostgresPreparedStatement(name: name, sql: sql, resultFormat: .binary)
    }

    /// Causation ids arrive as text with '' for none, so the array needs no NULL elements;
    /// so do request fingerprints. The keyed batch (`migrations/0004_idempotent_answers.sql`)
    /// records each appended command's idempotency key in the append's transaction.
    static let appendBatch = PostgresPreparedStatement(
        name: "reprise_append_keyed_batch",
        sql: """
            SELECT reprise_append_keyed_batch($1, $2::uuid[], array_replace($3::text[], '', NULL)::uuid[], $4,
                                              $5::int[], $6, $7::int[], $8::int[], $9::uuid[], $10, $11::int[], $12::jsonb[],
                                              $13::text[])
            """
    )

    static let readStreamForward = eventRead(
        name: "reprise_read_stream_forward",
        sql: """
            SELECT \(eventColumns) FROM events
            WHERE stream_id = $1 AND stream_version >= $2
            ORDER BY stream_version LIMIT $3
            """
    )

    static let readStreamBackward = eventRead(
        name: "reprise_read_stream_backward",
        sql: """
            SELECT \(eventColumns) FROM events
            WHERE stream_id = $1 AND stream_version <= $2
            ORDER BY stream_version DESC LIMIT $3
            """
    )

    /// The stable prefix of the log: rows of transactions older than every transaction
    /// still running (the snapshot's xmin) can no longer be joined by an earlier row.
    static let readLog = eventRead(
        name: "reprise_read_log",
        sql: """
            SELECT \(eventColumns) FROM events
            WHERE (transaction_id, position) > ($1::xid8, $2)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position LIMIT $3
            """
    )

    static let streamVersion = PostgresPreparedStatement(
        name: "reprise_stream_version",
        sql: "SELECT version FROM streams WHERE stream_id = $1"
    )

    static let listStreams = PostgresPreparedStatement(
        name: "reprise_list_streams",
        sql: "SELECT stream_id, version FROM streams WHERE stream_id > $1 ORDER BY stream_id LIMIT $2"
    )

    static let commandResult = PostgresPreparedStatement(
        name: "reprise_command_result",
        sql: "SELECT result FROM commands WHERE command_id = $1"
    )

    static let horizon = PostgresPreparedStatement(
        name: "reprise_log_horizon",
        sql: "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text FROM pg_current_snapshot() AS s"
    )

    /// A key's request and answer, with its command's first append result when it has one.
    static let idempotentRequest = PostgresPreparedStatement(
        name: "reprise_idempotent_request",
        sql: """
            SELECT k.request_sha256, k.answer_status, k.answer_version, k.answer_body, c.result
            FROM idempotency_keys k LEFT JOIN commands c ON c.command_id = k.command_id
            WHERE k.command_id = $1
            """
    )

    /// Records the answer of a command that appended nothing, unless the key is taken or
    /// the command was appended; returns one row when it recorded. A key claimed under 0003
    /// (no answer, no append) counts as unused and is taken over.
    static let recordAnswer = PostgresPreparedStatement(
        name: "reprise_record_idempotent_answer",
        sql: """
            INSERT INTO idempotency_keys AS k (command_id, request_sha256, recorded_at, answer_status, answer_version, answer_body)
            SELECT $1, $2, now(), $3::int, NULLIF($4::int, -1), $5
            WHERE NOT EXISTS (SELECT 1 FROM commands WHERE command_id = $1)
            ON CONFLICT (command_id) DO UPDATE
                SET request_sha256 = EXCLUDED.request_sha256, recorded_at = EXCLUDED.recorded_at,
                    answer_status = EXCLUDED.answer_status, answer_version = EXCLUDED.answer_version, answer_body = EXCLUDED.answer_body
                WHERE k.answer_status IS NULL AND NOT EXISTS (SELECT 1 FROM commands c WHERE c.command_id = k.command_id)
            RETURNING k.command_id
            """
    )

    /// The expiry's bounded batch: SKIP LOCKED, so it never waits on a key being written.
    static let expireIdempotencyKeys = PostgresPreparedStatement(
        name: "reprise_expire_idempotency_keys",
        sql: """
            DELETE FROM idempotency_keys WHERE command_id IN (
                SELECT command_id FROM idempotency_keys
                WHERE recorded_at < now() - $1::float8 * interval '1 second'
                ORDER BY recorded_at LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            """
    )
}
