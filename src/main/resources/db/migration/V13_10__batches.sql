-- HTTP batches (POST /api/v1/batches): one row per batch, one per item. An item is claimed with a
-- lease (owner + until) so two instances never run it at once and a dead instance's items are
-- taken over when the lease runs out; an item with a stored result is never run again.
CREATE TABLE batches (
    id                      VARCHAR(40)  PRIMARY KEY,
    key_id                  VARCHAR(40)  NOT NULL,
    status                  VARCHAR(20)  NOT NULL,
    max_concurrent          INTEGER      NOT NULL,
    return_individual_costs BOOLEAN      NOT NULL,
    webhook_url             VARCHAR(2000),
    total_requests          INTEGER      NOT NULL,
    created_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at              TIMESTAMP WITH TIME ZONE,
    finished_at             TIMESTAMP WITH TIME ZONE,
    notified_at             TIMESTAMP WITH TIME ZONE
);
CREATE INDEX batches_key_time ON batches (key_id, created_at);
CREATE INDEX batches_status ON batches (status);

CREATE TABLE batch_items (
    batch_id      VARCHAR(40)  NOT NULL,
    item_index    INTEGER      NOT NULL,
    custom_id     VARCHAR(200),
    request_body  TEXT         NOT NULL,
    -- pending | running | completed | failed | cancelled
    state         VARCHAR(20)  NOT NULL,
    lease_owner   VARCHAR(64),
    lease_until   TIMESTAMP WITH TIME ZONE,
    attempts      INTEGER      NOT NULL,
    http_status   INTEGER,
    response_body TEXT,
    cost          NUMERIC(20, 8),
    request_id    VARCHAR(40),
    finished_at   TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (batch_id, item_index)
);
CREATE INDEX batch_items_state ON batch_items (batch_id, state, item_index);
