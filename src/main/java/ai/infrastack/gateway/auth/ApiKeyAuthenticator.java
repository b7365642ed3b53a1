package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Pipeline step: requires {@code Authorization: Bearer <key>} and resolves the caller. The header
 * is removed from the message at once so no later step (or log) can see the secret.
 */
public final class ApiKeyAuthenticator implements Processor {
    private final KeyRegistry keys;

    public ApiKeyAuthenticator(KeyRegistry keys) {
        this.keys = keys;
    }

    @Override
    public void process(Exchange exchange) {
        String header = exchange.getMessage().getHeader("Authorization", String.class);
        exchange.getMessage().removeHeader("Authorization");
        if (header == null || header.isBlank()) {
            throw unauthenticated("Missing API key: send 'Authorization: Bearer <key>'");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            throw unauthenticated("Malformed Authorization header: expected 'Bearer <key>'");
        }
        Caller caller = keys.find(header.substring(7).trim())
                .orElseThrow(() -> unauthenticated("Invalid API key"));
        exchange.setProperty(ExchangeKeys.CALLER, caller);
    }

    private static GatewayException unauthenticated(String message) {
        return GatewayException.of(ErrorType.AUTHENTICATION, message).code("invalid_api_key").build();
    }
}
