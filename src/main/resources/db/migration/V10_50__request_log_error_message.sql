-- The reason an error was answered with (the vendor's, for an upstream 4xx it explains), as the
-- client saw it: the request log answers "why did this call fail" without the application log.
ALTER TABLE request_log ADD COLUMN error_message VARCHAR(500);
