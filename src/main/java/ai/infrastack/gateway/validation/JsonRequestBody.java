package ai.infrastack.gateway.validation;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * Reads a request body as one JSON object, strictly, for every JSON endpoint: JSON content type, size limit
 * (413), UTF-8 only, no duplicate keys or trailing garbage. A failure is the spec's 400 (or 413/415).
 */
public final class JsonRequestBody {
    private final ObjectMapper mapper;
    private final long maxBodyBytes;

    public JsonRequestBody(ObjectMapper mapper, long maxBodyBytes) {
        // Duplicate keys and trailing garbage are client mistakes, not something to guess about.
        this.mapper = mapper.copy()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(200).maxNumberLength(100).build());
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The body as a JSON object; {@code expected} names what it should hold, for the empty-body message. */
    public ObjectNode read(Exchange exchange, String expected) {
        String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, "", String.class);
        if (contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/")) {
            // The HTTP server has already decoded such a body as a form; the JSON cannot be recovered intact.
            throw GatewayException.of(ErrorType.INVALID_REQUEST,
                    "Send the request body as JSON with 'Content-Type: application/json' (got '" + contentType + "')")
                    .status(415).code("unsupported_media_type").build();
        }
        byte[] body = exchange.getMessage().getBody(byte[].class);
        if (body != null && body.length > maxBodyBytes) {
            throw GatewayException.of(ErrorType.INVALID_REQUEST,
                    "Request body is " + body.length + " bytes; the limit is " + maxBodyBytes)
                    .status(413).code("request_too_large").build();
        }
        Utf8Json.require(body, contentType);
        return parse(body, expected);
    }

    private ObjectNode parse(byte[] body, String expected) {
        if (body == null || body.length == 0) {
            throw GatewayException.invalid(null, "Request body is empty: send a JSON object with " + expected);
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw GatewayException.invalid(null, "Request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw GatewayException.invalid(null, "Request body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw GatewayException.invalid(null, "Request body must be a JSON object");
        }
        return (ObjectNode) node;
    }
}
