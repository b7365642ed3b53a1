package ai.infrastack.gateway.sandbox;

/**
 * A request the vendor would refuse. Thrown by a simulator's validation and rendered in that vendor's
 * error envelope; no stack trace, because it is an answer, not a bug.
 */
final class InvalidRequest extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    /** OpenAI's {@code param} (null when none); Anthropic ignores it. */
    final String param;
    /** OpenAI's {@code code} (null when none); Anthropic ignores it. */
    final String code;
    /** The vendor's error type when it is not the simulator's default (e.g. Mistral's "invalid_function_call"), or null. */
    final String type;

    InvalidRequest(String message) {
        this(400, message, null, null);
    }

    InvalidRequest(String message, String param, String code) {
        this(400, message, param, code);
    }

    InvalidRequest(int status, String message, String param, String code) {
        this(status, message, param, code, null);
    }

    InvalidRequest(int status, String message, String param, String code, String type) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
        this.code = code;
        this.type = type;
    }
}
