package ai.infrastack.gateway.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.slf4j.Logger;

import java.io.IOException;
import java.sql.SQLException;

/** What every small admin API does alike: read a JSON object, answer JSON, turn a store failure into a 503. */
public final class AdminJson {
    private AdminJson() {}

    /** A store call that may fail with SQLException. */
    public interface StoreCall<T> {
        T run() throws SQLException;
    }

    /** The body as a JSON object, else 400 with {@code hint} (what to send). */
    public static JsonNode object(ObjectMapper mapper, byte[] body, String hint) {
        try {
            JsonNode node = body == null || body.length == 0 ? null : mapper.readTree(body);
            if (node == null || !node.isObject()) {
                throw GatewayException.invalid(null, "Send a JSON object: " + hint);
            }
            return node;
        } catch (IOException e) {
            throw GatewayException.invalid(null, "Request body is not valid JSON");
        }
    }

    public static void respond(Exchange exchange, ObjectMapper mapper, int status, JsonNode body) {
        ResponseHeaders.reset(exchange, status);
        try {
            exchange.getMessage().setBody(mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + body.getClass().getSimpleName(), e);
        }
    }

    /** Runs a store call; a database failure is a 503 the client can retry, its details only in the log. */
    public static <T> T store(String what, Logger log, StoreCall<T> call) {
        try {
            return call.run();
        } catch (SQLException e) {
            log.warn("The {} store failed: {}", what, e.toString());
            throw GatewayException.of(ErrorType.SERVER, "The " + what + " store is unavailable right now; try again shortly")
                    .status(503).code("database_unavailable").build();
        }
    }
}
