-- What the portal could not check before it sent a plan (an auxiliary fact the Platform would
-- not give), kept with the record so that the audit says the activation went ahead without it.
ALTER TABLE activations ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
