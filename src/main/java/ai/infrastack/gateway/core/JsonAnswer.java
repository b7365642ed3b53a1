package ai.infrastack.gateway.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;

/** What the JSON endpoints beside the chat pipeline (keys, batches) share: a JSON body in, a JSON answer out. */
public final class JsonAnswer {
    private JsonAnswer() {}

    /** 415 for a body sent as a form: the HTTP server has already decoded it, and the JSON cannot be recovered intact. */
    public static void requireJsonBody(Exchange exchange) {
        String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, "", String.class);
        if (contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/")) {
            throw GatewayException.of(ErrorType.INVALID_REQUEST,
                    "Send the request body as JSON with 'Content-Type: application/json' (got '" + contentType + "')")
                    .status(415).code("unsupported_media_type").build();
        }
    }

    /** The answer: status, the gateway's headers, the body as JSON. */
    public static void respond(Exchange exchange, ObjectMapper mapper, int status, JsonNode body) {
        ResponseHeaders.reset(exchange, status);
        try {
            exchange.getMessage().setBody(mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render an answer", e);
        }
    }
}
