package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * Pipeline step: requires {@code Authorization: Bearer <key>} and resolves the caller. The key is
 * read from the HTTP request's own headers: platform-http also copies query parameters into the
 * message headers, and a key in a URL ends up in proxy and access logs, so
 * {@code ?Authorization=Bearer …} must not authenticate. The header is removed from the message at
 * once so no later step (or log) can see the secret.
 *
 * <p>A gateway-internal submission (a batch item, which outlives the HTTP call that submitted it and so
 * cannot carry the secret, stored only as a hash) names its key by id in the exchange property
 * {@link ExchangeKeys#SUBMITTED_BY_KEY_ID}; the key is looked up again then, so a key revoked or expired
 * since submission is refused. The property is honoured only on a message that did not come from HTTP.
 */
public final class ApiKeyAuthenticator implements Processor {
    private final KeyRegistry keys;

    public ApiKeyAuthenticator(KeyRegistry keys) {
        this.keys = keys;
    }

    @Override
    public void process(Exchange exchange) {
        String submittedBy = exchange.getProperty(ExchangeKeys.SUBMITTED_BY_KEY_ID, String.class);
        exchange.removeProperty(ExchangeKeys.SUBMITTED_BY_KEY_ID);
        if (submittedBy != null && !(exchange.getIn() instanceof HttpMessage)) {
            exchange.getMessage().removeHeader("Authorization");
            Caller caller = keys.findById(submittedBy).orElseThrow(() -> GatewayException.of(ErrorType.AUTHENTICATION,
                    "The API key that submitted this request is revoked, expired or unknown").code("invalid_api_key").build());
            exchange.setProperty(ExchangeKeys.CALLER, caller);
            return;
        }
        String header = exchange.getIn() instanceof HttpMessage http
                ? http.getRequest().getHeader("Authorization")
                : exchange.getMessage().getHeader("Authorization", String.class);
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
