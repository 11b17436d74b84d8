-- Which process is sending a pending activation, and until when each process is known to be
-- alive: a pending activation whose sender has stopped beating was cut off, and is resolved at
-- once instead of after the stale-pending wait.
ALTER TABLE activations ADD COLUMN sent_by TEXT;
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    alive_until INTEGER NOT NULL
);
