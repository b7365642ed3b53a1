package ai.infrastack.gateway.auth;

import java.util.Set;

/**
 * Who is calling: resolved from the API key, never holding the key itself.
 *
 * @param keyId         a stable, non-secret id for the key (a prefix of its hash)
 * @param tier          free, pro, enterprise or admin
 * @param allowedModels gateway model ids this key may use; empty means every model
 */
public record Caller(String keyId, String tier, String userId, String projectId, boolean admin, Set<String> allowedModels) {

    public boolean mayUse(String modelId) {
        return admin || allowedModels.isEmpty() || allowedModels.contains(modelId);
    }
}
