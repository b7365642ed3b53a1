package ai.infrastack.gateway.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper the gateway's steps share (thread-safe once configured). */
public final class Json {
    /** Registry name of the shared mapper. */
    public static final String BEAN = "gatewayJson";

    private Json() {}

    /** A mapper as the gateway configures it: money written as plain decimals, never 1E-5. */
    public static ObjectMapper newMapper() {
        return new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }
}
