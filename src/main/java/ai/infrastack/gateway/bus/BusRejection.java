package ai.infrastack.gateway.bus;

/**
 * A message the ingress will not run: it goes to the dead-letter destination with {@link #reason}
 * in its headers and the consumer moves on. Reasons are stable words a consumer of the DLQ can
 * match on: unparseable, missing_custom_id, batch_too_large, unauthorized, deadline_exceeded.
 */
public final class BusRejection extends RuntimeException {
    private final String reason;

    public BusRejection(String reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
