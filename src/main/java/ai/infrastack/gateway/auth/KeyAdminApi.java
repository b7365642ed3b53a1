package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.JsonAnswer;
import ai.infrastack.gateway.core.StoreCall;
import ai.infrastack.gateway.catalog.ModelCatalog;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The admin API for API keys under /api/v1/keys (create, list, get, revoke, rotate); the routes
 * put {@link AdminGuard} in front of it. A key's secret appears in a response only when create or
 * rotate has just made it; the hash never does. After a revoke or rotate this instance forgets its
 * cached keys at once; other instances follow within the registry's one-second cache.
 */
public final class KeyAdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(KeyAdminApi.class);

    private final ApiKeyStore store;
    private final KeyRegistry registry;
    private final ModelCatalog catalog;
    private final ObjectMapper mapper;
    private final NewKeyRequest requests;

    public KeyAdminApi(ApiKeyStore store, KeyRegistry registry, ModelCatalog catalog, ObjectMapper mapper) {
        this.store = store;
        this.registry = registry;
        this.catalog = catalog;
        this.mapper = mapper;
        this.requests = new NewKeyRequest(mapper);
    }

    /** POST /api/v1/keys: 201 with the key and, this once, its secret. */
    public void create(Exchange exchange) {
        JsonAnswer.requireJsonBody(exchange);
        ApiKeyStore.NewKey spec = requests.parse(exchange.getMessage().getBody(byte[].class), catalog, Instant.now());
        ApiKeyStore.IssuedKey issued = database(() -> store.create(spec));
        LOG.info("API key {} created (tier {})", issued.key().id(), issued.key().tier());
        respondWithSecret(exchange, 201, issued);
    }

    /** GET /api/v1/keys */
    public void list(Exchange exchange) {
        List<StoredKey> keys = database(store::list);
        ObjectNode body = mapper.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        Instant now = Instant.now();
        keys.forEach(k -> data.add(render(k, now)));
        respond(exchange, 200, body);
    }

    /** GET /api/v1/keys/{id} */
    public void get(Exchange exchange) {
        String id = id(exchange);
        StoredKey key = database(() -> store.get(id)).orElseThrow(() -> notFound(id));
        respond(exchange, 200, render(key, Instant.now()));
    }

    /** POST /api/v1/keys/{id}/revoke and DELETE /api/v1/keys/{id}; revoking a revoked key changes nothing. */
    public void revoke(Exchange exchange) {
        String id = id(exchange);
        StoredKey key = database(() -> store.revoke(id)).orElseThrow(() -> notFound(id));
        registry.forget(id);
        LOG.info("API key {} revoked", id);
        respond(exchange, 200, render(key, Instant.now()));
    }

    /** POST /api/v1/keys/{id}/rotate: a new secret for the same key id; the old secret stops working. */
    public void rotate(Exchange exchange) {
        String id = id(exchange);
        Optional<ApiKeyStore.IssuedKey> rotated = database(() -> store.rotate(id));
        if (rotated.isEmpty()) {
            // The store rotates only live keys: tell an unknown id from a revoked one.
            StoredKey existing = database(() -> store.get(id)).orElseThrow(() -> notFound(id));
            throw GatewayException.of(ErrorType.INVALID_REQUEST,
                            "The API key '" + existing.id() + "' is revoked and cannot be rotated; create a new key")
                    .param("id").code("key_revoked").build();
        }
        registry.forget(id);
        LOG.info("API key {} rotated", id);
        respondWithSecret(exchange, 200, rotated.get());
    }

    private ObjectNode render(StoredKey k, Instant now) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", k.id());
        o.put("object", "api_key");
        o.put("name", k.name());
        o.put("key_prefix", k.keyPrefix());
        o.put("tier", k.tier());
        o.put("user_id", k.userId());
        o.put("project_id", k.projectId());
        ArrayNode models = o.putArray("allowed_models");
        k.allowedModels().stream().sorted().forEach(models::add);
        ObjectNode limits = o.putObject("limits");
        limits.put("requests_per_hour", k.requestsPerHour());
        limits.put("tokens_per_hour", k.tokensPerHour());
        o.put("expires_at", iso(k.expiresAt()));
        o.put("revoked_at", iso(k.revokedAt()));
        o.put("created_at", iso(k.createdAt()));
        o.put("status", k.revokedAt() != null ? "revoked" : k.usableAt(now) ? "active" : "expired");
        return o;
    }

    private void respondWithSecret(Exchange exchange, int status, ApiKeyStore.IssuedKey issued) {
        ObjectNode body = render(issued.key(), Instant.now());
        body.put("key", issued.secret());
        respond(exchange, status, body);
    }

    private void respond(Exchange exchange, int status, ObjectNode body) {
        JsonAnswer.respond(exchange, mapper, status, body);
    }

    /** Instants as ISO-8601 UTC, the form create accepts for expires_at. */
    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String id(Exchange exchange) {
        String id = exchange.getMessage().getHeader("id", String.class);
        if (id == null || id.isBlank()) {
            throw GatewayException.invalid("id", "Missing key id in the path: /api/v1/keys/{id}");
        }
        return id;
    }

    private static GatewayException notFound(String id) {
        return GatewayException.of(ErrorType.NOT_FOUND, "No API key with id '" + id + "'")
                .param("id").code("key_not_found").build();
    }

    private static <T> T database(StoreCall<T> call) {
        return StoreCall.answering("key store", call);
    }
}
