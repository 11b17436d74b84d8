-- The outbox of notifications: written before anything is sent, so that an event survives a
-- crash; each row is one event for one receiver, with a delivery id that stays the same on
-- every retry (receivers drop repeats by it). `dedupe_key` makes enqueuing the same event twice
-- harmless.
CREATE TABLE notifications (
    delivery_id TEXT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    record_id TEXT NOT NULL,
    event TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    gave_up_at INTEGER,
    last_error TEXT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX notifications_by_record ON notifications (record_id);

-- When an activation's own event (accepted, rejected) was put in the outbox.
ALTER TABLE activations ADD COLUMN notified_at INTEGER;
