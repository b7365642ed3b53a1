package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the provider call's steps — request builder, response reader, the wire translators and
 * where each provider is reached — and, in sandbox mode, starts the simulated vendor APIs.
 */
public final class ProviderConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        Registry r = context.getRegistry();

        // With no provider key set at all, the gateway starts in sandbox mode rather than failing every call.
        Map<String, String> declared = DeclaredProviders.envPrefixes(Path.of(settings.require("gateway.routes-dir")));
        boolean sandboxMode = settings.flag("gateway.sandbox") || noProviderKey(settings, declared);
        SandboxUpstreams sandbox = sandboxMode ? startSandbox(context, settings.integer("gateway.sandbox.port")) : null;
        if (sandbox != null) {
            r.bind("gatewaySandbox", sandbox);
        }
        WireTranslators translators = WireTranslators.discover();
        ProviderTargets targets = new ProviderTargets(settings::optional, sandboxMode, sandbox == null ? null : sandbox::baseUrlFor);
        r.bind("providerTargets", targets);
        r.bind("upstreamTimer", new UpstreamTimer());
        r.bind("upstreamRequestBuilder", new UpstreamRequestBuilder(translators, targets, mapper));
        r.bind("upstreamResponseReader", new UpstreamResponseReader(translators, mapper));
        ProviderBreakers breakers = new ProviderBreakers(settings);
        r.bind(ProviderBreakers.BEAN, breakers);
        if (r instanceof org.apache.camel.support.DefaultRegistry registry) {
            registry.addBeanRepository(breakers);
        }
        // the registry camel-resilience4j looks up, so every breaker of the gateway is in one place
        r.bind("circuitBreakerRegistry", breakers.registry());
        r.bind("upstreamCompletions", new UpstreamCompletions());
        r.bind("retryingUpstreamCall", new RetryingUpstreamCall(context.createProducerTemplate(), breakers,
                settings.integer("gateway.retry.network-retries"), settings.longValue("gateway.retry.backoff-initial-ms"),
                Double.parseDouble(settings.require("gateway.retry.backoff-jitter")), settings.longValue("gateway.retry.max-retry-after-ms")));
    }

    private static SandboxUpstreams startSandbox(CamelContext context, int port) throws Exception {
        SandboxUpstreams sandbox = SandboxUpstreams.start(port);
        context.addService(Lifecycle.onStop(sandbox::close));
        LOG.warn("=====================================================================================");
        LOG.warn("SANDBOX MODE: providers without an API key are answered by the built-in simulator on");
        LOG.warn("127.0.0.1:{}. Answers are fake. Set OPENAI_API_KEY, ANTHROPIC_API_KEY, ... for live calls.", sandbox.port());
        LOG.warn("=====================================================================================");
        return sandbox;
    }

    private static boolean noProviderKey(Settings settings, Map<String, String> envPrefixes) {
        for (Map.Entry<String, String> p : envPrefixes.entrySet()) {
            if (settings.optional("gateway.provider." + p.getKey() + ".api-key") != null
                    || settings.optional(p.getValue() + "_API_KEY") != null) {
                return false;
            }
        }
        return true;
    }
}
