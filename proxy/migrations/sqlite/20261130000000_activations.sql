-- The audit history: one row per activation the portal was asked for, written before the
-- Platform is called and updated with its answer.
CREATE TABLE activations (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_hash TEXT NOT NULL,
    activation_info TEXT NOT NULL,
    outcome TEXT NOT NULL,
    orders TEXT NOT NULL DEFAULT '[]',
    error TEXT
);

CREATE INDEX activations_newest ON activations (created_at DESC, id DESC);
CREATE INDEX activations_by_user ON activations (user_name, created_at DESC);
CREATE INDEX activations_by_outcome ON activations (outcome, created_at DESC);

-- Every dataflow×segment entry, to filter by either and to find the portal's in-flight runs.
CREATE TABLE activation_entries (
    activation_id TEXT NOT NULL REFERENCES activations (id),
    dataflow_id TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    PRIMARY KEY (activation_id, dataflow_id, segment_id)
);

CREATE INDEX activation_entries_by_segment ON activation_entries (segment_id);
CREATE INDEX activation_entries_by_dataflow ON activation_entries (dataflow_id);
