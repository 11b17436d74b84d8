-- What the caller was told the first time, status and body: a request repeated with its
-- Idempotency-Key gets exactly that back, whatever the reconciler has learnt since.
ALTER TABLE activations ADD COLUMN first_answer_status INTEGER;
ALTER TABLE activations ADD COLUMN first_answer_body TEXT;
