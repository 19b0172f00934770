-- What the relay last found when it compared the JetStream stream with the log. The relay
-- writes it on every change of state; readiness reads it, so an API running in another
-- process than the relay still reports a halted fan-out. One row, or none before the
-- relay first ran.
CREATE TABLE relay_status (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- 'publishing': the stream is the log's prefix and the relay publishes the rest.
    -- 'halted': the stream contradicts the log (a message the relay did not publish, or a
    -- log that lost events); the relay publishes nothing until an operator rebuilds the
    -- stream (`reprise stream rebuild`). Commands are still accepted into the log.
    state      text NOT NULL CHECK (state IN ('publishing', 'halted')),
    -- The relay's error code when halted (stream_ahead, stream_diverged, ...).
    code       text,
    message    text,
    since      timestamptz NOT NULL DEFAULT now()
);
