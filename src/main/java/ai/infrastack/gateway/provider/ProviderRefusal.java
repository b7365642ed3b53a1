package ai.infrastack.gateway.provider;

/**
 * A failed provider call that is not the provider's failure: the vendor refused the request
 * itself (a 4xx other than 429) or the gateway failed before reaching it. It is neither retried nor
 * failed over, and the circuit breaker does not count it (ProviderBreakers ignores this type);
 * the failover step rethrows {@link #reason()} so the client gets the original error.
 */
public final class ProviderRefusal extends RuntimeException {
    private final RuntimeException reason;

    ProviderRefusal(RuntimeException reason) {
        super(reason.getMessage(), reason, false, false);
        this.reason = reason;
    }

    public RuntimeException reason() {
        return reason;
    }
}
