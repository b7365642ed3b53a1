-- Every upstream attempt of a request (retries, failovers, calls an open circuit breaker refused),
-- as a JSON array of {attempt, provider, model, deployment, outcome, status, ms}: what a failover
-- cost is answered from the request log. NULL when the request made no upstream attempt.
ALTER TABLE request_log ADD COLUMN attempts VARCHAR(4000);
