-- Activations that had ended before notifications existed are not news: a portal upgraded to
-- send notifications must not announce its past.
UPDATE activations SET notified_at = updated_at
WHERE notified_at IS NULL AND outcome IN ('accepted', 'rejected', 'failed', 'cancelled');
