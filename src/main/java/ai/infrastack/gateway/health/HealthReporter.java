package ai.infrastack.gateway.health;

import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code GET /api/v1/health}: status, version, uptime, one entry per provider of the catalog, the
 * database, Redis (and whether rate limits are counted there or on this instance) and the request
 * log's backlog. It is served on the event loop, so it reads only what
 * others keep up to date and never waits for the database. In sandbox mode it says so, because
 * answers then come from the simulator, not from vendors.
 */
public final class HealthReporter implements Processor {
    private final ModelCatalog catalog;
    private final ProviderHealth health;
    private final ObjectMapper mapper;
    private final String version;
    private final boolean sandbox;
    private final Supplier<StorageStatus> storage;
    private final Supplier<RedisStatus> redis;
    private final long startedNanos = System.nanoTime();

    public HealthReporter(ModelCatalog catalog, ProviderHealth health, ObjectMapper mapper, String version, boolean sandbox,
                          Supplier<StorageStatus> storage, Supplier<RedisStatus> redis) {
        this.storage = storage;
        this.redis = redis;
        this.catalog = catalog;
        this.health = health;
        this.mapper = mapper;
        this.version = version;
        this.sandbox = sandbox;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        TreeSet<String> providers = new TreeSet<>();
        for (ModelSpec m : catalog.models()) {
            providers.add(m.provider());
        }
        Map<String, Object[]> snapshot = health.snapshot(providers);
        StorageStatus store = storage.get();
        RedisStatus shared = redis.get();
        boolean degraded = !store.databaseUp() || shared.configured() && !shared.reachable() || snapshot.values().stream().anyMatch(s -> "degraded".equals(s[0]) || "down".equals(s[0]));
        ObjectNode root = mapper.createObjectNode();
        root.put("status", degraded ? "degraded" : "healthy");
        root.put("version", version);
        root.put("uptime_ms", (System.nanoTime() - startedNanos) / 1_000_000);
        root.put("mode", sandbox ? "sandbox" : "live");
        if (sandbox) {
            root.put("warning", "SANDBOX MODE: providers without an API key are answered by the built-in simulator");
        }
        ObjectNode ps = root.putObject("providers");
        snapshot.forEach((name, s) -> {
            ObjectNode p = ps.putObject(name);
            p.put("status", (String) s[0]);
            if (s[1] == null) {
                p.putNull("latency_ms");
            } else {
                p.put("latency_ms", (Long) s[1]);
            }
            if (s[2] != null) {
                p.put("error_rate", Math.round((Double) s[2] * 1000) / 1000.0);
            }
        });
        ObjectNode db = root.putObject("database");
        db.put("status", store.databaseUp() ? "up" : "down");
        db.put("engine", store.engine());
        // Rate limits keep serving on this instance's counters while Redis is down: not an outage, but not one limit either.
        ObjectNode r = root.putObject("redis");
        r.put("status", !shared.configured() ? "not_configured" : shared.reachable() ? "up" : "down");
        r.put("rate_limits", shared.configured() && shared.reachable() ? "shared" : "local");
        ObjectNode log = root.putObject("request_log");
        log.put("buffered", store.buffered());
        log.put("spilled", store.spilled());
        log.put("dropped", store.dropped());
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(root));
    }
}
