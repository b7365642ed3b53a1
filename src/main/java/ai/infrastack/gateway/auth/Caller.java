package ai.infrastack.gateway.auth;

import java.util.Set;

/**
 * Who is calling: resolved from the API key, never holding the key itself.
 *
 * @param keyId         a stable, non-secret id for the key (a prefix of its hash)
 * @param tier          free, pro, enterprise or admin
 * @param allowedModels gateway model ids this key may use; empty means every model
 * @param customLimits  this key's own hourly limits (set by the admin API or the keys file), which
 *                      override its tier's defaults; {@link CustomLimits#NONE} when it has none
 */
public record Caller(String keyId, String tier, String userId, String projectId, boolean admin, Set<String> allowedModels,
                     CustomLimits customLimits) {

    public Caller {
        customLimits = customLimits == null ? CustomLimits.NONE : customLimits;
    }

    /** A caller with its tier's limits. */
    public Caller(String keyId, String tier, String userId, String projectId, boolean admin, Set<String> allowedModels) {
        this(keyId, tier, userId, projectId, admin, allowedModels, CustomLimits.NONE);
    }

    public boolean mayUse(String modelId) {
        return admin || allowedModels.isEmpty() || allowedModels.contains(modelId);
    }

    /** A key's own hourly limits; a null field means "the tier's default". */
    public record CustomLimits(Long requestsPerHour, Long tokensPerHour) {
        public static final CustomLimits NONE = new CustomLimits(null, null);
    }
}
