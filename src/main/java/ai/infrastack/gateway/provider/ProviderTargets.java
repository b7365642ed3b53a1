package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Resolves each provider's base URL and API key by convention, so a new provider needs no Java:
 * the property {@code gateway.provider.<name>.base-url} or env {@code <NAME>_BASE_URL}, else the
 * route's default; the property {@code gateway.provider.<name>.api-key} or env {@code <NAME>_API_KEY}.
 * In sandbox mode a provider without a key is sent to the built-in simulator. Resolved once per provider.
 */
public final class ProviderTargets {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderTargets.class);

    private final Function<String, String> config;
    private final boolean sandboxMode;
    private final BiFunction<String, String, String> sandboxBaseUrl;
    private final Map<String, Resolved> resolved = new ConcurrentHashMap<>();

    /** A target and the declaration it was resolved from: a reloaded route file is resolved again. */
    private record Resolved(ProviderDeclaration declaration, ProviderTarget target) {}

    /**
     * @param config         looks up a setting by property name, then by env name; null when unset
     * @param sandboxBaseUrl the simulator's base URL for (provider, wire format), null when it has
     *                       none; the function itself is null when no sandbox runs
     */
    public ProviderTargets(Function<String, String> config, boolean sandboxMode, BiFunction<String, String, String> sandboxBaseUrl) {
        this.config = config;
        this.sandboxMode = sandboxMode;
        this.sandboxBaseUrl = sandboxBaseUrl;
    }

    /** Where the declared provider is reached, resolved once per version of its route file. */
    public ProviderTarget target(ProviderDeclaration declaration) {
        return target(declaration, "");
    }

    /**
     * Where one deployment of the provider is reached: {@code gateway.provider.<name>.<deployment>.api-key}
     * / {@code .base-url} or env {@code <PREFIX>_<DEPLOYMENT>_API_KEY} / {@code _BASE_URL}, each falling back to
     * the provider's own. In the sandbox each deployment gets a key of its own, so its calls can be told apart.
     */
    public ProviderTarget target(ProviderDeclaration declaration, String deployment) {
        String id = deployment.isEmpty() ? declaration.name() : declaration.name() + "/" + deployment;
        Resolved r = resolved.get(id);
        if (r == null || r.declaration() != declaration) {
            ProviderTarget base = resolve(declaration.name(), declaration.wireFormat(), declaration.defaultBaseUrl(),
                    declaration.envPrefix());
            r = new Resolved(declaration, deployment.isEmpty() ? base : deploymentTarget(declaration, deployment, base));
            resolved.put(id, r);
        }
        return r.target();
    }

    private ProviderTarget deploymentTarget(ProviderDeclaration declaration, String deployment, ProviderTarget base) {
        String env = declaration.envPrefix() + "_" + deployment.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        String key = setting("gateway.provider." + declaration.name() + "." + deployment + ".api-key", env + "_API_KEY");
        String baseUrl = setting("gateway.provider." + declaration.name() + "." + deployment + ".base-url", env + "_BASE_URL");
        return new ProviderTarget(base.provider(), baseUrl == null ? base.baseUrl() : stripSlash(baseUrl),
                key != null ? key : base.sandbox() ? "sandbox-key-" + deployment : base.apiKey(), base.sandbox() && baseUrl == null);
    }

    public boolean sandboxMode() {
        return sandboxMode;
    }

    /** Targets resolved so far, for the health report. */
    public Map<String, ProviderTarget> resolved() {
        Map<String, ProviderTarget> out = new java.util.TreeMap<>();
        resolved.forEach((name, r) -> out.put(name, r.target()));
        return out;
    }

    private ProviderTarget resolve(String provider, String wireFormat, String defaultBaseUrl, String env) {
        String key = setting("gateway.provider." + provider + ".api-key", env + "_API_KEY");
        String baseUrl = setting("gateway.provider." + provider + ".base-url", env + "_BASE_URL");
        String sandboxUrl = key == null && sandboxMode && sandboxBaseUrl != null && baseUrl == null
                ? sandboxBaseUrl.apply(provider, wireFormat) : null;
        if (sandboxUrl != null) {
            LOG.warn("Provider {} has no API key: its calls go to the SANDBOX simulator, not to the real vendor", provider);
            return new ProviderTarget(provider, sandboxUrl, "sandbox-key", true);
        }
        if (key == null) {
            key = "";
        }
        if (baseUrl == null) {
            baseUrl = defaultBaseUrl;
        }
        if (baseUrl == null || baseUrl.isBlank()) {
            throw GatewayException.of(ErrorType.SERVER, "Provider '" + provider + "' has no base URL configured").build();
        }
        return new ProviderTarget(provider, stripSlash(baseUrl), key, false);
    }

    private String setting(String property, String envName) {
        String v = config.apply(property);
        if (v == null || v.isBlank()) {
            v = config.apply(envName);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String stripSlash(String url) {
        String u = url;
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }
}
