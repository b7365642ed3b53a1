package ai.infrastack.gateway.auth;

import java.time.Instant;
import java.util.Set;

/** An API key as the database holds it: everything but the secret, which is kept only as a hash. */
public record StoredKey(
        String id,
        String keyPrefix,
        String name,
        String tier,
        String userId,
        String projectId,
        Set<String> allowedModels,
        Long requestsPerHour,
        Long tokensPerHour,
        Instant expiresAt,
        Instant revokedAt,
        Instant createdAt) {

    public boolean usableAt(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }

    public Caller caller() {
        return new Caller(id, tier, userId, projectId, false, allowedModels,
                new Caller.CustomLimits(requestsPerHour, tokensPerHour));
    }
}
