-- The history on PostgreSQL: the same tables, columns and rules as the SQLite migrations
-- (proxy/migrations/sqlite), in one step because this backend starts at that schema. JSON
-- columns are text, as in SQLite, and are read with `::jsonb` where a query needs a field.

-- The audit history: one row per activation the portal was asked for, written before the
-- Platform is called and updated with its answer.
CREATE TABLE activations (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_hash TEXT NOT NULL,
    activation_info TEXT NOT NULL,
    outcome TEXT NOT NULL,
    orders TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    first_answer_status BIGINT,
    first_answer_body TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    names TEXT NOT NULL DEFAULT '{}',
    runs_summary TEXT,
    runs_state TEXT,
    notified_at BIGINT,
    run_at BIGINT,
    plan_info TEXT NOT NULL DEFAULT '{}',
    -- The replica sending a pending activation.
    sent_by TEXT
);

CREATE INDEX activations_newest ON activations (created_at DESC, id DESC);
CREATE INDEX activations_by_user ON activations (user_name, created_at DESC);
CREATE INDEX activations_by_outcome ON activations (outcome, created_at DESC);
CREATE INDEX activations_by_update ON activations (updated_at);
CREATE INDEX activations_by_runs_state ON activations (runs_state, created_at);
CREATE INDEX activations_waiting ON activations (outcome, run_at);

-- Every dataflow×segment entry, to filter by either and to find the portal's in-flight runs.
CREATE TABLE activation_entries (
    activation_id TEXT NOT NULL REFERENCES activations (id),
    dataflow_id TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    segment_name TEXT,
    PRIMARY KEY (activation_id, dataflow_id, segment_id)
);

CREATE INDEX activation_entries_by_segment ON activation_entries (segment_id);
CREATE INDEX activation_entries_by_dataflow ON activation_entries (dataflow_id);

-- Who asked for what, and when, is written once, and the names recorded with it: the database
-- itself refuses to change or delete them, whatever code runs against it.
CREATE FUNCTION audit_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit record of who asked for what is never changed or deleted';
END
$$;

CREATE TRIGGER activations_who_and_what_are_written_once
BEFORE UPDATE OF id, created_at, user_name, activation_info, request_hash, idempotency_key, names
ON activations FOR EACH ROW EXECUTE FUNCTION audit_written_once();

CREATE TRIGGER activations_are_never_deleted
BEFORE DELETE ON activations FOR EACH ROW EXECUTE FUNCTION audit_written_once();

CREATE TRIGGER activation_entries_are_written_once
BEFORE UPDATE OR DELETE ON activation_entries FOR EACH ROW EXECUTE FUNCTION audit_written_once();

-- Also TRUNCATE, which row triggers do not see.
CREATE TRIGGER activations_are_never_truncated
BEFORE TRUNCATE ON activations EXECUTE FUNCTION audit_written_once();
CREATE TRIGGER activation_entries_are_never_truncated
BEFORE TRUNCATE ON activation_entries EXECUTE FUNCTION audit_written_once();

-- The outbox of notifications: each row is one event for one receiver, with a delivery id that
-- stays the same on every retry; `dedupe_key` makes enqueuing the same event twice harmless.
CREATE TABLE notifications (
    delivery_id TEXT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    record_id TEXT NOT NULL,
    event TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    gave_up_at BIGINT,
    last_error TEXT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX notifications_by_record ON notifications (record_id);

-- Until when each replica is known to be alive: a pending activation whose sender has stopped
-- beating was cut off, and another replica resolves it.
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    alive_until BIGINT NOT NULL
);
