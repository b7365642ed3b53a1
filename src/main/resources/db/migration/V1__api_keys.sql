-- API keys: stored as SHA-256 hashes only; the secret is shown once, at creation or rotation.
-- Portable SQL: runs on PostgreSQL and on the embedded H2 default (MODE=PostgreSQL).
CREATE TABLE api_keys (
    id                VARCHAR(40)  PRIMARY KEY,
    key_hash          VARCHAR(64)  NOT NULL UNIQUE,
    key_prefix        VARCHAR(16)  NOT NULL,
    name              VARCHAR(200),
    tier              VARCHAR(20)  NOT NULL,
    user_id           VARCHAR(200),
    project_id        VARCHAR(200),
    allowed_models    VARCHAR(4000),
    requests_per_hour BIGINT,
    tokens_per_hour   BIGINT,
    expires_at        TIMESTAMP WITH TIME ZONE,
    revoked_at        TIMESTAMP WITH TIME ZONE,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    rotated_from      VARCHAR(40)
);
