package ai.infrastack.gateway.bus;

/**
 * The exchange properties a bus message carries through the shared bus routes
 * (routes/bus-requests.yaml). A bus's own route file sets the first group; the steps set the rest.
 */
public final class BusExchange {
    private BusExchange() {}

    // Set by the bus's route file (routes/bus-<name>.yaml).
    /** The bus's name: its routes direct:&lt;name&gt;-reply and direct:&lt;name&gt;-dead-letter send out. */
    public static final String NAME = "busName";
    /** Where results go unless the message names another destination. */
    public static final String DEFAULT_REPLY_TO = "busDefaultReplyTo";
    /** The message's own result destination (Kafka reply-topic header, AMQP reply-to), if any. */
    public static final String REPLY_TO = "busReplyTo";
    /** The bus's own message key (a Kafka record key), the correlation id when no header names one. */
    public static final String MESSAGE_KEY = "busMessageKey";
    /** The bus's correlation id (AMQP correlation-id), if any; else header x-correlation-id is read. */
    public static final String CORRELATION_ID = "busCorrelationId";

    // Set by the steps.
    public static final String ORIGINAL_BODY = "busOriginalBody";
    public static final String API_KEY = "busApiKey";
    public static final String DEADLINE = "busDeadline";
    public static final String ITEMS = "busItems";
    public static final String KEY_ID = "busKeyId";
    public static final String ITEM = "busItem";
    public static final String CUSTOM_ID = "busCustomId";
    public static final String MESSAGE_ID = "busMessageId";
    public static final String ALREADY_PRODUCED = "busAlreadyProduced";
    /** The request id the item's call runs under, kept in bus_result before the call. */
    public static final String REQUEST_ID = "busRequestId";
    /** True when the item is to be sent through the chat pipeline (taken on, or taken over from a dead attempt). */
    public static final String RUN = "busRun";
    public static final String REJECTION = "busRejection";
}
