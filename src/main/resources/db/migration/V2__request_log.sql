-- One row per request, appended and never updated (no hot rows to lock). Costs are stored as the
-- client saw them (8 decimals), so analytics totals equal the sum of the responses.
CREATE TABLE request_log (
    request_id        VARCHAR(40)  PRIMARY KEY,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    key_id            VARCHAR(40),
    user_id           VARCHAR(200),
    project_id        VARCHAR(200),
    tracking_id       VARCHAR(200),
    requested_model   VARCHAR(200),
    served_model      VARCHAR(200),
    provider          VARCHAR(50),
    status            INTEGER      NOT NULL,
    error_type        VARCHAR(50),
    prompt_tokens     BIGINT       NOT NULL,
    completion_tokens BIGINT       NOT NULL,
    cached_tokens     BIGINT       NOT NULL,
    input_cost        NUMERIC(20, 8),
    output_cost       NUMERIC(20, 8),
    total_cost        NUMERIC(20, 8),
    latency_ms        BIGINT       NOT NULL,
    ttfb_ms           BIGINT,
    cache_hit         BOOLEAN      NOT NULL,
    fallback_used     BOOLEAN      NOT NULL,
    routing_strategy  VARCHAR(20),
    streamed          BOOLEAN      NOT NULL
);

-- Analytics and budget windows ask by time, alone or within a key, user or project.
CREATE INDEX request_log_time ON request_log (created_at);
CREATE INDEX request_log_key_time ON request_log (key_id, created_at);
CREATE INDEX request_log_user_time ON request_log (user_id, created_at);
CREATE INDEX request_log_project_time ON request_log (project_id, created_at);
