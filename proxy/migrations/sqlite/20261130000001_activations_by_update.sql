-- Activations answered since a moment: the guardrails count them as in flight.
CREATE INDEX activations_by_update ON activations (updated_at);
