-- Message ids the bus ingress has taken on, per consumer (processor_name), for Camel's idempotent
-- consumer: a redelivered message is neither called upstream nor charged twice. message_id is
-- composite (key id + custom_id). The primary key settles a race between two instances.
CREATE TABLE processed_message (
    processor_name VARCHAR(255) NOT NULL,
    message_id     VARCHAR(512) NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (processor_name, message_id)
);
