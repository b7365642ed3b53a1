package ai.infrastack.gateway.core;

import java.util.Map;

/**
 * A failure that the client sees in the spec's error format. Thrown anywhere on the request path;
 * {@link ErrorResponder} renders it. Carries no stack trace: these are expected outcomes.
 */
public final class GatewayException extends RuntimeException {
    private final ErrorType type;
    private final int status;
    private final String param;
    private final String code;
    private final String provider;
    private final Integer upstreamStatus;
    private final Map<String, String> headers;

    private GatewayException(Builder b) {
        super(b.message, null, false, false);
        this.type = b.type;
        this.status = b.status;
        this.param = b.param;
        this.code = b.code;
        this.provider = b.provider;
        this.upstreamStatus = b.upstreamStatus;
        this.headers = b.headers == null ? Map.of() : Map.copyOf(b.headers);
    }

    public static Builder of(ErrorType type, String message) {
        return new Builder(type, message);
    }

    public static GatewayException invalid(String param, String message) {
        return of(ErrorType.INVALID_REQUEST, message).param(param).build();
    }

    public ErrorType type() { return type; }
    public int status() { return status; }
    public String param() { return param; }
    public String code() { return code; }
    public String provider() { return provider; }
    public Integer upstreamStatus() { return upstreamStatus; }
    /** Extra response headers, e.g. retry-after on a 429. */
    public Map<String, String> headers() { return headers; }

    public static final class Builder {
        private final ErrorType type;
        private final String message;
        private int status;
        private String param;
        private String code;
        private String provider;
        private Integer upstreamStatus;
        private Map<String, String> headers;

        private Builder(ErrorType type, String message) {
            this.type = type;
            this.message = message;
            this.status = type.defaultStatus();
        }

        public Builder status(int status) { this.status = status; return this; }
        public Builder param(String param) { this.param = param; return this; }
        public Builder code(String code) { this.code = code; return this; }
        public Builder provider(String provider) { this.provider = provider; return this; }
        public Builder upstreamStatus(Integer s) { this.upstreamStatus = s; return this; }
        public Builder headers(Map<String, String> headers) { this.headers = headers; return this; }
        public GatewayException build() { return new GatewayException(this); }
    }
}
