-- The answer to each bus message the ingress took on (message_id as in processed_message: key id
-- + custom_id), kept so a redelivered message is answered from here instead of being called (and
-- charged) again. produced: the answer reached the result topic or reply queue, so a redelivery
-- after that is acknowledged without a second result.
CREATE TABLE bus_result (
    message_id  VARCHAR(512) NOT NULL PRIMARY KEY,
    request_id  VARCHAR(64),
    status      INTEGER NOT NULL,
    total_cost  VARCHAR(40),
    body        TEXT NOT NULL,
    produced    BOOLEAN NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
