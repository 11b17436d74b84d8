-- Who asked for what, and when, is written once: the database itself refuses to change or
-- delete it, whatever code runs against it. The outcome and the Platform's answer are filled
-- in later and may change (the reconciler learns outcomes).
CREATE TRIGGER activations_who_and_what_are_written_once
BEFORE UPDATE OF id, created_at, user_name, activation_info, request_hash, idempotency_key
ON activations
BEGIN
    SELECT RAISE(ABORT, 'the audit record of who asked for what is never changed');
END;

CREATE TRIGGER activations_are_never_deleted
BEFORE DELETE ON activations
BEGIN
    SELECT RAISE(ABORT, 'audit records are never deleted');
END;

CREATE TRIGGER activation_entries_are_written_once
BEFORE UPDATE ON activation_entries
BEGIN
    SELECT RAISE(ABORT, 'the audit record of who asked for what is never changed');
END;

CREATE TRIGGER activation_entries_are_never_deleted
BEFORE DELETE ON activation_entries
BEGIN
    SELECT RAISE(ABORT, 'audit records are never deleted');
END;
