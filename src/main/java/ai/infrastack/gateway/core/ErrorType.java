package ai.infrastack.gateway.core;

/** The error types of the API spec, each with the HTTP status it normally travels with. */
public enum ErrorType {
    INVALID_REQUEST("invalid_request_error", 400),
    AUTHENTICATION("authentication_error", 401),
    PERMISSION("permission_error", 403),
    NOT_FOUND("not_found_error", 404),
    RATE_LIMIT("rate_limit_error", 429),
    SERVER("server_error", 500),
    PROVIDER("provider_error", 502);

    private final String wireName;
    private final int defaultStatus;

    ErrorType(String wireName, int defaultStatus) {
        this.wireName = wireName;
        this.defaultStatus = defaultStatus;
    }

    public String wireName() {
        return wireName;
    }

    public int defaultStatus() {
        return defaultStatus;
    }
}
