package ai.infrastack.gateway.server;

import ai.infrastack.gateway.core.ClientLink;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;

import java.util.Map;

/**
 * What the gateway adds to every upstream call of camel-http's client, first in its chain:
 * <ul>
 *   <li>the call is registered with the request's {@link ClientLink}, so a client that hangs up
 *   cancels it: the socket is closed and the vendor stops generating (the error step then records
 *   the request as 499);</li>
 *   <li>a call that waited longer than the configured lease timeout for a pooled connection is the
 *   gateway's own queue, not the vendor's fault: 503 {@code gateway_overloaded} with
 *   Retry-After, which does not mark the provider degraded;</li>
 *   <li>no retries of the client's own: the gateway decides and records them.</li>
 * </ul>
 */
public final class UpstreamCalls implements HttpClientConfigurer {
    private final InFlightLimits limits;
    private final int retryAfterSeconds;

    UpstreamCalls(InFlightLimits limits, int retryAfterSeconds) {
        this.limits = limits;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        // Retries are the gateway's (provider.RetryingUpstreamCall, recorded per attempt); the client's
        // own would silently repeat a 429 or 503 under them.
        builder.disableAutomaticRetries();
        builder.addExecInterceptorFirst("gateway-upstream-calls", (request, scope, chain) -> {
            ClientLink link = ClientLink.current();
            if (link != null) {
                // Kept until the request ends: the body is read after this chain returns.
                if (scope.originalRequest instanceof Cancellable call) {
                    link.upstream(call::cancel);
                } else if (scope.execRuntime instanceof Cancellable call) {
                    link.upstream(call::cancel);
                }
            }
            try {
                return chain.proceed(request, scope);
            } catch (ConnectionRequestTimeoutException e) {
                limits.upstreamPoolExhausted();
                throw GatewayException.of(ErrorType.SERVER, "The gateway has no free connection to the provider; retry shortly")
                        .status(503).code("gateway_overloaded").headers(Map.of("Retry-After", String.valueOf(retryAfterSeconds)))
                        .build();
            }
        });
    }
}
