package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One provider as its route file declares it: the parameters of the {@code provider} route
 * template (routes/provider-template.yaml), bound when the file loads. Each value is checked as it
 * is set, so a file with an unknown wire format or quirk is refused at load — its previous version
 * keeps serving — instead of failing on the first request. As a step it hands the declaration to
 * the provider call.
 */
public final class ProviderDeclaration implements Processor {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Set<String> TOOL_CALL_IDS = Set.of("keep", "alnum9");
    private static final Set<String> STREAM_OPTIONS = Set.of("send", "omit");
    /** The field lists of provider.openai.ChatRequestShape. */
    private static final Set<String> REQUEST_FIELDS = Set.of("openai", "mistral");

    private String name;
    private String wireFormat;
    private String defaultBaseUrl;
    private String envPrefix;
    private String renameParams = "";
    private String toolCallIds = "keep";
    private String streamOptions = "send";
    private String requestFields = "openai";
    private volatile ProviderQuirks quirks;
    private String deployments = "";
    private String balancing = "round-robin";
    private volatile DeploymentBalancer balancer;

    public void setName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw invalid("name", name, "lower-case letters, digits and '-'");
        }
        this.name = name;
    }

    public void setWireFormat(String wireFormat) {
        Set<String> known = WireTranslators.known().formats();
        if (!known.contains(wireFormat)) {
            throw invalid("wireFormat", wireFormat, "one of " + known);
        }
        this.wireFormat = wireFormat;
    }

    public void setDefaultBaseUrl(String defaultBaseUrl) {
        if (!defaultBaseUrl.startsWith("http://") && !defaultBaseUrl.startsWith("https://")) {
            throw invalid("defaultBaseUrl", defaultBaseUrl, "an http:// or https:// URL");
        }
        this.defaultBaseUrl = defaultBaseUrl;
    }

    public void setEnvPrefix(String envPrefix) {
        if (!envPrefix.isEmpty() && !envPrefix.matches("[A-Z][A-Z0-9_]*")) {
            throw invalid("envPrefix", envPrefix, "upper-case letters, digits and '_', or empty");
        }
        this.envPrefix = envPrefix;
    }

    public void setRenameParams(String renameParams) {
        try {
            ProviderQuirks.of(renameParams, null, null);
        } catch (IllegalArgumentException e) {
            throw invalid("renameParams", renameParams, "name=newName pairs separated by commas");
        }
        this.renameParams = renameParams;
    }

    public void setToolCallIds(String toolCallIds) {
        if (!TOOL_CALL_IDS.contains(toolCallIds)) {
            throw invalid("toolCallIds", toolCallIds, "one of " + TOOL_CALL_IDS);
        }
        this.toolCallIds = toolCallIds;
    }

    public void setStreamOptions(String streamOptions) {
        if (!STREAM_OPTIONS.contains(streamOptions)) {
            throw invalid("streamOptions", streamOptions, "one of " + STREAM_OPTIONS);
        }
        this.streamOptions = streamOptions;
    }

    public void setRequestFields(String requestFields) {
        if (!REQUEST_FIELDS.contains(requestFields)) {
            throw invalid("requestFields", requestFields, "one of " + REQUEST_FIELDS);
        }
        this.requestFields = requestFields;
    }

    public void setDeployments(String deployments) {
        try {
            DeploymentBalancer.parse(deployments);
        } catch (RuntimeException e) {
            throw invalid("deployments", deployments, "name:weight pairs separated by commas (" + e.getMessage() + ")");
        }
        this.deployments = deployments;
    }

    public void setBalancing(String balancing) {
        if (!DeploymentBalancer.STRATEGIES.contains(balancing)) {
            throw invalid("balancing", balancing, "one of " + DeploymentBalancer.STRATEGIES);
        }
        this.balancing = balancing;
    }

    /** How calls are spread over the provider's deployments (one, unless its file declares several). */
    public DeploymentBalancer balancer() {
        DeploymentBalancer b = balancer;
        if (b == null) {
            b = new DeploymentBalancer(DeploymentBalancer.parse(deployments), balancing);
            balancer = b;
        }
        return b;
    }

    /** A declaration built in code (tests, tools) rather than by a route file; null values stay unset. */
    public static ProviderDeclaration of(String name, String wireFormat, String defaultBaseUrl, String envPrefix) {
        ProviderDeclaration d = new ProviderDeclaration();
        d.setName(name);
        d.setWireFormat(wireFormat);
        if (defaultBaseUrl != null) {
            d.setDefaultBaseUrl(defaultBaseUrl);
        }
        if (envPrefix != null) {
            d.setEnvPrefix(envPrefix);
        }
        return d;
    }

    public String name() {
        return name;
    }

    public String wireFormat() {
        return wireFormat;
    }

    public String defaultBaseUrl() {
        return defaultBaseUrl;
    }

    /** The prefix of the provider's env variables ({@code <PREFIX>_API_KEY}, {@code <PREFIX>_BASE_URL}). */
    public String envPrefix() {
        return envPrefix == null || envPrefix.isEmpty() ? name.toUpperCase(Locale.ROOT).replace('-', '_') : envPrefix;
    }

    public ProviderQuirks quirks() {
        ProviderQuirks q = quirks;
        if (q == null) {
            q = ProviderQuirks.of(renameParams, "alnum9".equals(toolCallIds) ? "alnum9" : null,
                    "omit".equals(streamOptions) ? "omit" : null, "openai".equals(requestFields) ? null : requestFields);
            quirks = q;
        }
        return q;
    }

    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(ExchangeKeys.PROVIDER_DECLARATION, this);
        // created here, on the request's exchange: the breaker's copies share it, so failed attempts are kept
        ai.infrastack.gateway.core.Attempts.of(exchange);
    }

    private static IllegalArgumentException invalid(String parameter, String value, String expected) {
        return new IllegalArgumentException("provider parameter '" + parameter + "' is '" + value + "': expected " + expected);
    }
}
