package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;

import java.io.IOException;
import java.net.SocketTimeoutException;

/**
 * What one failed upstream attempt means for what happens next: a network error is retried, a 429
 * may be waited out, a 5xx or timeout fails over, a refusal of the request itself (4xx) goes back
 * to the client as it is.
 *
 * @param error the error the client gets if nothing else is tried
 */
public record UpstreamFailure(Kind kind, RuntimeException error, int upstreamStatus, long retryAfterMs) {

    public enum Kind {
        NETWORK("network_error"), TIMEOUT("timeout"), RATE_LIMITED("rate_limited"), FAILED("upstream_error"), REFUSED("refused");

        private final String outcome;

        Kind(String outcome) {
            this.outcome = outcome;
        }

        /** The outcome as the request log names it. */
        public String outcome() {
            return outcome;
        }
    }

    public static UpstreamFailure of(Throwable thrown, String provider) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof GatewayException g) {
                return ofGateway(g);
            }
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return new UpstreamFailure(Kind.TIMEOUT, GatewayException.of(ErrorType.PROVIDER,
                        "The upstream provider did not answer in time").status(504).provider(provider).code("upstream_timeout").build(), 0, -1);
            }
            if (t instanceof IOException) {
                // refused, reset or closed without an answer: the request may never have been read
                return new UpstreamFailure(Kind.NETWORK, GatewayException.of(ErrorType.PROVIDER,
                        "The upstream provider could not be reached").status(502).provider(provider).code("upstream_unreachable").build(), 0, -1);
            }
        }
        RuntimeException unexpected = thrown instanceof RuntimeException r ? r : new IllegalStateException(thrown);
        return new UpstreamFailure(Kind.REFUSED, unexpected, 0, -1);
    }

    private static UpstreamFailure ofGateway(GatewayException g) {
        int upstream = g.upstreamStatus() == null ? 0 : g.upstreamStatus();
        if (upstream == 429 || (g.status() == 429 && g.type() == ErrorType.RATE_LIMIT && g.provider() != null)) {
            return new UpstreamFailure(Kind.RATE_LIMITED, g, upstream, retryAfterMs(g.headers().get("Retry-After")));
        }
        if (upstream == 408 || "upstream_timeout".equals(g.code())) {
            return new UpstreamFailure(Kind.TIMEOUT, g, upstream, -1);
        }
        if (upstream >= 400 && upstream < 500) {
            return new UpstreamFailure(Kind.REFUSED, g, upstream, -1);
        }
        if (g.type() == ErrorType.PROVIDER) {
            return new UpstreamFailure(Kind.FAILED, g, upstream, -1);
        }
        return new UpstreamFailure(Kind.REFUSED, g, upstream, -1); // the gateway's own (e.g. no free connection)
    }

    /** Retry-After in seconds (the form vendors send on a 429), or -1 when absent or not a number. */
    static long retryAfterMs(String value) {
        if (value == null) {
            return -1;
        }
        try {
            double seconds = Double.parseDouble(value.trim());
            return seconds < 0 ? -1 : (long) (seconds * 1000);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public String outcome() {
        return kind.outcome();
    }
}
