-- The names of the destinations and segments when the activation was made, written once, so
-- that the audit stays readable after a rename or a deletion; segment names also per entry, for
-- the history's filter by name.
ALTER TABLE activations ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE activation_entries ADD COLUMN segment_name TEXT;

CREATE TRIGGER activations_names_are_written_once
BEFORE UPDATE OF names ON activations
BEGIN
    SELECT RAISE(ABORT, 'the names recorded with an activation are never changed');
END;

-- How the activation's runs went, as last seen: counts, and the state the history filters by
-- (running, failed, succeeded).
ALTER TABLE activations ADD COLUMN runs_summary TEXT;
ALTER TABLE activations ADD COLUMN runs_state TEXT;
CREATE INDEX activations_by_runs_state ON activations (runs_state, created_at);
