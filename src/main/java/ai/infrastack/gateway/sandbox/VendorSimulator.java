package ai.infrastack.gateway.sandbox;

/**
 * One vendor's API. Every implementation has the same shape, in the same order: routing and auth,
 * strict validation into a {@link Conversation}, directive-driven errors, the success body, the stream,
 * the error envelope. Adding a vendor is one more implementation registered in {@link SandboxUpstreams}.
 */
interface VendorSimulator {

    /** Short name used by {@link SandboxUpstreams#baseUrl(String)}, e.g. "openai". */
    String format();

    /** Every path under this prefix belongs to this vendor (unknown ones get its 404), e.g. "/openai". */
    String pathPrefix();

    /** What a client puts after {@code http://127.0.0.1:<port>}, e.g. "/openai/v1". */
    String basePath();

    /** Pure function of the request (and the clock); runs on the event loop, so it must not block. */
    SandboxResponse handle(RecordedRequest request, long defaultLatencyMs);
}
