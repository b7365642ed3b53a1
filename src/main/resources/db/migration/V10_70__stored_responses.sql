-- Responses API: each stored response (store: true, OpenAI's default) with the conversation it continued,
-- so previous_response_id continues it on any provider; scope is the caller's project (else its key), and
-- nothing is read past expires_at (the retention). Output items by id, for the item_reference items clients
-- send for earlier output.
CREATE TABLE stored_response (
    id            VARCHAR(64)  NOT NULL PRIMARY KEY,
    scope         VARCHAR(200) NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    context_items TEXT         NOT NULL,
    response      TEXT         NOT NULL
);
CREATE INDEX stored_response_expires ON stored_response (expires_at);

CREATE TABLE stored_response_item (
    item_id     VARCHAR(64)  NOT NULL PRIMARY KEY,
    response_id VARCHAR(64)  NOT NULL REFERENCES stored_response (id) ON DELETE CASCADE,
    scope       VARCHAR(200) NOT NULL,
    item        TEXT         NOT NULL
);
CREATE INDEX stored_response_item_response ON stored_response_item (response_id);
