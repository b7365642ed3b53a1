package ai.infrastack.gateway.core;

/** Names of the exchange properties that carry the canonical request state between pipeline steps. */
public final class ExchangeKeys {
    private ExchangeKeys() {}

    public static final String REQUEST_ID = "gatewayRequestId";
    /**
     * The request id a gateway-internal submission (a batch item, a bus message) runs under (String), kept
     * with the work before the call so a re-run after a crash is the same request: recognised in the request
     * log and the budget ledger, never logged or charged twice. Only code sets it; an HTTP message never has it.
     */
    public static final String ASSIGNED_REQUEST_ID = "gatewayAssignedRequestId";
    public static final String RECEIVED_NANOS = "gatewayReceivedNanos";
    /** Wall-clock time the request was received (Instant), for the request log. */
    public static final String RECEIVED_AT = "gatewayReceivedAt";
    public static final String CALLER = "gatewayCaller";
    /** The client's request as parsed JSON (ObjectNode), OpenAI format. */
    public static final String CHAT_REQUEST = "gatewayChatRequest";
    public static final String MODEL = "gatewayModel";
    public static final String PROVIDER = "provider";
    /** The provider as its route file declares it (provider.ProviderDeclaration), set by its route. */
    public static final String PROVIDER_DECLARATION = "gatewayProviderDeclaration";
    public static final String DROPPED_PARAMS = "gatewayDroppedParams";
    public static final String UPSTREAM_SENT_NANOS = "gatewayUpstreamSentNanos";
    public static final String UPSTREAM_FIRST_BYTE_NANOS = "gatewayUpstreamFirstByteNanos";
    public static final String UPSTREAM_DONE_NANOS = "gatewayUpstreamDoneNanos";
    public static final String UPSTREAM_PROCESSING_MS = "gatewayUpstreamProcessingMs";
    /** How the answer ended, unary or streamed (Completion). */
    public static final String COMPLETION = "gatewayCompletion";
    public static final String COST = "gatewayCost";
    /** The latency reported to the client (Latency). */
    public static final String LATENCY = "gatewayLatency";
    /** True when the client asked for a stream (Boolean). */
    public static final String STREAMING = "gatewayStreaming";
    /** The opened upstream stream and its first events (streaming.OpenedStream). */
    public static final String OPENED_STREAM = "gatewayOpenedStream";
    /** The client's side of a streamed answer once its headers are sent (streaming.ClientStream). */
    public static final String CLIENT_STREAM = "gatewayClientStream";
    /** Headers a step adds to whatever response the request gets, success or error (Map name → value). */
    public static final String RESPONSE_HEADERS = "gatewayResponseHeaders";
    /** A status for the request log other than 200 or the error's, e.g. 499 for a client that left (Integer). */
    public static final String STATUS = "gatewayStatus";
    /** The GatewayException the client was answered with, for analytics. */
    public static final String ERROR = "gatewayError";
    /** True when the answer came from the gateway's response cache, with no upstream call (Boolean). */
    public static final String CACHE_HIT = "gatewayCacheHit";
    /**
     * True when a later step needs a streamed answer's content once it ends (Boolean): the relay then
     * assembles it into the Completion's choices, as a unary answer has them (the response cache stores it).
     */
    public static final String KEEP_STREAMED_ANSWER = "gatewayKeepStreamedAnswer";
    /** The rate limiter's hold on a request's token estimate, replaced by its real usage after the answer (limits.TokenReservation). */
    public static final String RATE_LIMIT_RESERVATION = "gatewayRateLimitReservation";
    /**
     * The key id a gateway-internal submission (a batch item) runs under (String). Only code sets exchange
     * properties: platform-http maps an HTTP request's headers and query parameters to message headers, and
     * the authenticator ignores this property on an HTTP message anyway, so no client can claim a key by id.
     */
    public static final String SUBMITTED_BY_KEY_ID = "gatewaySubmittedByKeyId";
    /** The stream format a way in wants instead of chat.completion chunks (streaming.StreamDialect.Factory). */
    public static final String STREAM_DIALECT = "gatewayStreamDialect";
    /** True when the request came in through the Responses API (POST /api/v1/responses), Boolean. */
    public static final String RESPONSES_API = "gatewayResponsesApi";
    /** The Responses API request as the translator understood it (responses.ResponsesTurn). */
    public static final String RESPONSES_TURN = "gatewayResponsesTurn";
    /** The Response object rendered for the client, before it is stored and written (ObjectNode). */
    public static final String RESPONSE_OBJECT = "gatewayResponseObject";
    /** The end user the request's spend is charged to (String, budget.Attribution), for the request log. */
    public static final String ATTRIBUTED_USER_ID = "gatewayAttributedUserId";
    /** The project the request's spend is charged to (String, budget.Attribution), for the request log. */
    public static final String ATTRIBUTED_PROJECT_ID = "gatewayAttributedProjectId";
    /** Every upstream attempt of the request, in order (core.Attempts), for failover and the request log. */
    public static final String ATTEMPTS = "gatewayAttempts";
    /** The routing decision (routing.RoutingDecision): candidates, the one answering, why, fallback used. */
    public static final String ROUTING = "gatewayRouting";
    /** The provider deployment a call goes to ("openai", or "openai/eu"), chosen by the load balancer (String). */
    public static final String DEPLOYMENT = "gatewayDeployment";
}
