package ai.infrastack.gateway.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The JSON mappers the gateway's steps use (thread-safe once configured). */
public final class Json {
    /** Registry name of the shared mapper. */
    public static final String BEAN = "gatewayJson";

    /**
     * Jackson's read and write buffers, shared by every mapper of the request path. Jackson keeps
     * them per thread by default, and each request has a virtual thread of its own, so every parse
     * and every write allocated them anew (about 20 KB a request, an eighth of all it allocated);
     * a bounded pool holds as many as run at once.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.newBoundedPool(256))
            .build();

    private Json() {}

    /** A mapper as the gateway configures it: money written as plain decimals, never 1E-5. */
    public static ObjectMapper newMapper() {
        return plainMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    /** A mapper with Jackson's defaults, on the shared buffers. */
    public static ObjectMapper plainMapper() {
        return new ObjectMapper(FACTORY.copy());
    }
}
