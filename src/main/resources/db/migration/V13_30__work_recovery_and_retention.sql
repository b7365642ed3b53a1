-- Crash recovery (issue 13): a bus item's bus_result row is now written when the item is taken on, before
-- its call, with the request id the call runs under; status and body stay empty until the answer is kept.
-- A redelivery that finds the row without an answer looks that request id up (request_log, budget_ledger)
-- before running the item again under it.
ALTER TABLE bus_result ALTER COLUMN status DROP NOT NULL;
ALTER TABLE bus_result ALTER COLUMN body DROP NOT NULL;
CREATE INDEX budget_ledger_request ON budget_ledger (request_id);

-- Retention: the periodic purge deletes by age.
CREATE INDEX bus_result_created ON bus_result (created_at);
CREATE INDEX processed_message_created ON processed_message (created_at);
CREATE INDEX batches_finished ON batches (finished_at);
