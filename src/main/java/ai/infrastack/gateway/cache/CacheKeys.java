package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.auth.Caller;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Cache keys: {@code <prefix><scope>:<fingerprint>}. The scope is the caller's project (its key when
 * the key belongs to none), taken from the API key and never from the request body, so one tenant
 * never reads another's answers.
 */
final class CacheKeys {
    private final String prefix;
    private final RequestFingerprint fingerprint;

    CacheKeys(String prefix, RequestFingerprint fingerprint) {
        this.prefix = prefix;
        this.fingerprint = fingerprint;
    }

    String key(Caller caller, String modelId, JsonNode request) {
        String scope = caller == null ? "anonymous"
                : caller.projectId() != null ? "project:" + caller.projectId() : "key:" + caller.keyId();
        return prefix + scope + ":" + fingerprint.of(request, modelId);
    }
}
