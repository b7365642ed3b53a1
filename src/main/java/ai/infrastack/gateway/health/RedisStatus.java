package ai.infrastack.gateway.health;

/**
 * What health reports of the shared Redis: whether one is configured, whether the rate limits
 * reach it (else they count on this instance only).
 */
public record RedisStatus(boolean configured, boolean reachable) {
    public static final RedisStatus NOT_CONFIGURED = new RedisStatus(false, false);

    /** Where health reads it from (bound as {@code redisStatus} by the rate limits' configuration). */
    public interface Source {
        RedisStatus redisStatus();
    }
}
