package ai.infrastack.gateway;

import ai.infrastack.gateway.analytics.RequestLogWriter;
import ai.infrastack.gateway.analytics.UsageAnalytics;
import ai.infrastack.gateway.analytics.UsageEventLogger;
import ai.infrastack.gateway.analytics.UsageRecorder;
import ai.infrastack.gateway.auth.AdminGuard;
import ai.infrastack.gateway.auth.ApiKeyStore;
import ai.infrastack.gateway.auth.KeyAdminApi;
import ai.infrastack.gateway.metrics.GatewayMetrics;
import ai.infrastack.gateway.metrics.MetricsRecorder;
import ai.infrastack.gateway.metrics.MetricsScraper;
import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.streaming.StreamResponder;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import ai.infrastack.gateway.api.ChatResponseAssembler;
import ai.infrastack.gateway.api.ErrorResponder;
import ai.infrastack.gateway.health.HealthReporter;
import ai.infrastack.gateway.api.ModelsLister;
import ai.infrastack.gateway.health.ProviderHealth;
import ai.infrastack.gateway.api.RequestIdAssigner;
import ai.infrastack.gateway.api.RouterErrorResponder;
import ai.infrastack.gateway.auth.ApiKeyAuthenticator;
import ai.infrastack.gateway.auth.KeyRegistry;
import ai.infrastack.gateway.catalog.CatalogReloader;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.cost.CostCalculator;
import ai.infrastack.gateway.provider.ProviderTargets;
import ai.infrastack.gateway.reload.SafeRouteReloadStrategy;
import ai.infrastack.gateway.provider.UpstreamRequestBuilder;
import ai.infrastack.gateway.provider.UpstreamResponseReader;
import ai.infrastack.gateway.provider.UpstreamTimer;
import ai.infrastack.gateway.provider.WireTranslators;
import ai.infrastack.gateway.routing.ModelResolver;
import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.validation.ChatRequestValidator;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.VertxOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Builds the processors the routes call by name and binds them in the registry, from the
 * {@code gateway.*} settings. Runs before the route files are loaded.
 */
public final class GatewayConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayConfiguration.class);
    /** Providers whose key, when set, means the operator wants live calls rather than the sandbox. */
    private static final List<String> KNOWN_PROVIDERS = List.of("openai", "anthropic", "google", "mistral", "cohere", "together");

    @Override
    public void configure(CamelContext context) throws Exception {
        Function<String, String> setting = name -> context.getPropertiesComponent().resolveProperty(name)
                .filter(v -> !v.isBlank())
                .orElseGet(() -> System.getenv(name));
        ObjectMapper mapper = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

        boolean sandboxMode = Boolean.parseBoolean(setting.apply("gateway.sandbox")) || noProviderKey(setting);
        SandboxUpstreams sandbox = null;
        if (sandboxMode) {
            sandbox = SandboxUpstreams.start(Integer.parseInt(orDefault(setting.apply("gateway.sandbox.port"), "0")));
            context.addService(closing(sandbox::close));
            LOG.warn("=====================================================================================");
            LOG.warn("SANDBOX MODE: providers without an API key are answered by the built-in simulator on");
            LOG.warn("127.0.0.1:{}. Answers are fake. Set OPENAI_API_KEY, ANTHROPIC_API_KEY, ... for live calls.", sandbox.port());
            LOG.warn("=====================================================================================");
        }
        SandboxUpstreams sandboxRef = sandbox;

        if (Boolean.parseBoolean(orDefault(setting.apply("gateway.reload-enabled"), "true"))) {
            SafeRouteReloadStrategy reload = new SafeRouteReloadStrategy(
                    Path.of(orDefault(setting.apply("gateway.routes-dir"), "routes")).toAbsolutePath().normalize());
            context.addService(reload);
            context.getRegistry().bind("routeReloadStrategy", reload);
        }

        // The schema is migrated here, before any route (and so any consumer) starts.
        Database database = Database.open(DatabaseUrl.parse(setting.apply("gateway.database.url")),
                Integer.parseInt(orDefault(setting.apply("gateway.database.pool-size"), "10")));
        RequestLogWriter requestLog = new RequestLogWriter(database.dataSource(),
                Integer.parseInt(orDefault(setting.apply("gateway.request-log.buffer-size"), "100000")),
                Integer.parseInt(orDefault(setting.apply("gateway.request-log.batch-size"), "500")),
                Long.parseLong(orDefault(setting.apply("gateway.request-log.retry-ms"), "1000")));
        context.addService(closing(() -> {
            requestLog.close();
            database.close();
        }));
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.gaugeCounter("unified_request_log_dropped", "Request-log rows lost to a full buffer", requestLog::dropped);

        ModelCatalog catalog = ModelCatalog.load(Path.of(orDefault(setting.apply("gateway.pricing-dir"), "pricing")));
        ApiKeyStore keyStore = new ApiKeyStore(database.dataSource());
        KeyRegistry keys = KeyRegistry.load(setting.apply("gateway.auth.master-key"),
                Path.of(orDefault(setting.apply("gateway.auth.keys-file"), "keys.yaml")), keyStore);
        WireTranslators translators = WireTranslators.discover();
        ProviderTargets targets = new ProviderTargets(setting, sandboxMode, sandboxRef == null ? null : sandboxRef::baseUrlFor);
        ProviderHealth health = new ProviderHealth();

        context.addStartupListener(new RouterErrorResponder(mapper,
                Integer.parseInt(orDefault(setting.apply("camel.server.port"), "3000"))));

        Registry r = context.getRegistry();
        // platform-http runs each request on a Vert.x worker thread, which the upstream call then
        // holds; the pool bounds how many calls can be in flight at once.
        r.bind("gatewayVertxOptions", new VertxOptions()
                .setWorkerPoolSize(Integer.parseInt(orDefault(setting.apply("gateway.http.worker-threads"), "400")))
                .setMaxWorkerExecuteTime(10).setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES));
        if (sandbox != null) {
            r.bind("gatewaySandbox", sandbox);
        }
        r.bind("gatewayDatabase", database);
        r.bind("requestLogWriter", requestLog);
        r.bind("gatewayMetrics", metrics);
        // camel-micrometer's route metrics land in the same registry as ours.
        r.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics.registry());
        context.addRoutePolicyFactory(new MicrometerRoutePolicyFactory());
        r.bind("usageRecorder", new UsageRecorder(requestLog));
        r.bind("metricsRecorder", new MetricsRecorder(metrics));
        r.bind("metricsScraper", new MetricsScraper(metrics,
                Boolean.parseBoolean(orDefault(setting.apply("gateway.metrics.enabled"), "true"))));
        r.bind("adminGuard", new AdminGuard());
        r.bind("keyAdminApi", new KeyAdminApi(keyStore, keys, catalog, mapper));
        r.bind("usageAnalytics", new UsageAnalytics(database.dataSource(), mapper));
        r.bind("modelCatalog", catalog);
        r.bind("providerTargets", targets);
        r.bind("upstreamTimer", new UpstreamTimer());
        r.bind("requestIdAssigner", new RequestIdAssigner());
        r.bind("apiKeyAuthenticator", new ApiKeyAuthenticator(keys));
        r.bind("chatRequestValidator", new ChatRequestValidator(mapper,
                Long.parseLong(orDefault(setting.apply("gateway.http.max-body-bytes"), "10485760"))));
        r.bind("modelResolver", new ModelResolver(catalog));
        r.bind("upstreamRequestBuilder", new UpstreamRequestBuilder(translators, targets, mapper));
        r.bind("upstreamResponseReader", new UpstreamResponseReader(translators, mapper));
        CostCalculator costCalculator = new CostCalculator(new BigDecimal(orDefault(setting.apply("gateway.pricing.markup-percent"), "0")));
        metrics.gaugeCounter("unified_unpriced_responses", "Responses with tokens but no catalog price", costCalculator::unpricedResponses);
        r.bind("costCalculator", costCalculator);
        r.bind("streamResponder", new StreamResponder(mapper, costCalculator, context));
        r.bind("chatResponseAssembler", new ChatResponseAssembler(mapper, health));
        r.bind("errorResponder", new ErrorResponder(mapper, health));
        r.bind("usageEventLogger", new UsageEventLogger(
                Boolean.parseBoolean(orDefault(setting.apply("gateway.access-log.enabled"), "true"))));
        r.bind("modelsLister", new ModelsLister(catalog, mapper));
        r.bind("healthReporter", new HealthReporter(catalog, health, mapper,
                orDefault(setting.apply("gateway.version"), "1.0.0"), sandboxMode));
        r.bind("catalogReloader", new CatalogReloader(catalog));
    }

    private static boolean noProviderKey(Function<String, String> setting) {
        for (String p : KNOWN_PROVIDERS) {
            if (setting.apply("gateway.provider." + p + ".api-key") != null || setting.apply(p.toUpperCase() + "_API_KEY") != null) {
                return false;
            }
        }
        return true;
    }

    private static String orDefault(String v, String fallback) {
        return v == null || v.isBlank() ? fallback : v;
    }

    /** Runs {@code onStop} when the Camel context stops. */
    private static ServiceSupport closing(Runnable onStop) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                onStop.run();
            }
        };
    }
}
