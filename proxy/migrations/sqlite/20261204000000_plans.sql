-- Plans that wait: when a scheduled plan is to run (also indexed for the scheduler), and the
-- plan's life beyond one activation (note, approval, retry link, cancellation) as JSON.
ALTER TABLE activations ADD COLUMN run_at INTEGER;
ALTER TABLE activations ADD COLUMN plan_info TEXT NOT NULL DEFAULT '{}';
CREATE INDEX activations_waiting ON activations (outcome, run_at);
