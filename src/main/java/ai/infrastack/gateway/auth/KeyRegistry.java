package ai.infrastack.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys the gateway accepts: the master key plus the bootstrap keys file. Keys are held
 * only as SHA-256 hashes; a presented key is hashed and looked up, and the master key is compared
 * with {@link MessageDigest#isEqual}, so no comparison depends on how much of a secret matched.
 *
 * <p>Keys file format (YAML): {@code keys: [{key: "...", tier: pro, user_id: u1, project_id: p1,
 * allowed_models: [gpt-4o-mini], limits: {requests_per_hour: 500, tokens_per_hour: 100000}}]};
 * {@code key_sha256: <hex>} may stand instead of {@code key} so the file need not hold secrets.
 */
public final class KeyRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRegistry.class);

    private static final Caller MASTER = new Caller("master", "admin", null, null, true, Set.of());

    private final byte[] masterHash;
    private final Map<String, Caller> byHash;
    private final ApiKeyStore store;
    /**
     * Database keys by hash, for at most a second, so a revoked key is refused within one. Cache
     * upkeep runs on the caller's thread: on Caffeine's default (the common pool) every expiry
     * handed a task to another thread — with 1,000 keys in turn, nearly one per request.
     */
    private final Cache<String, Optional<StoredKey>> recent = Caffeine.newBuilder()
            .executor(Runnable::run).expireAfterWrite(Duration.ofSeconds(1)).maximumSize(100_000).build();
    /**
     * What the database said lately of each key, by hash: used only while the database cannot be
     * reached, so a flapping database does not lock out callers it vouched for minutes ago — and a
     * key it reported revoked or expired stays refused (401, not a 503 guess). An entry lasts that
     * long after the last lookup; a key the database no longer knows leaves it.
     */
    private final Cache<String, StoredKey> lastKnownGood;
    private volatile boolean storeDown;
    private volatile long nextProbeNanos = System.nanoTime();
    private static final long PROBE_INTERVAL_NANOS = 1_000_000_000L;

    KeyRegistry(byte[] masterHash, Map<String, Caller> byHash, ApiKeyStore store, Duration lastKnownGoodFor) {
        this.masterHash = masterHash;
        this.byHash = Map.copyOf(byHash);
        this.store = store;
        this.lastKnownGood = Caffeine.newBuilder().executor(Runnable::run).expireAfterWrite(lastKnownGoodFor)
                .maximumSize(100_000).build();
    }

    public static KeyRegistry load(String masterKey, Path keysFile) {
        return load(masterKey, keysFile, null, Duration.ZERO);
    }

    /**
     * The master key, the bootstrap keys file, then (when given) the keys in the database, each of
     * which keeps working for {@code lastKnownGoodFor} after its last check while the database is
     * unreachable.
     */
    public static KeyRegistry load(String masterKey, Path keysFile, ApiKeyStore store, Duration lastKnownGoodFor) {
        byte[] master = masterKey == null || masterKey.isBlank() ? null : sha256(masterKey);
        Map<String, Caller> keys = new HashMap<>();
        if (keysFile != null && Files.isRegularFile(keysFile)) {
            try {
                JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(keysFile.toFile());
                for (JsonNode k : root.path("keys")) {
                    String hash = k.hasNonNull("key_sha256")
                            ? k.get("key_sha256").asText().toLowerCase()
                            : HexFormat.of().formatHex(sha256(k.path("key").asText()));
                    if (!k.hasNonNull("key_sha256") && k.path("key").asText().isEmpty()) {
                        continue;
                    }
                    Set<String> allowed = new HashSet<>();
                    k.path("allowed_models").forEach(m -> allowed.add(m.asText().toLowerCase(Locale.ROOT)));
                    keys.put(hash, new Caller(hash.substring(0, 12), k.path("tier").asText("free"),
                            textOrNull(k, "user_id"), textOrNull(k, "project_id"), false, Set.copyOf(allowed),
                            new Caller.CustomLimits(longOrNull(k.path("limits"), "requests_per_hour"),
                                    longOrNull(k.path("limits"), "tokens_per_hour"))));
                }
                LOG.info("Loaded {} API key(s) from {}", keys.size(), keysFile);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read keys file " + keysFile + ": " + e.getMessage(), e);
            }
        }
        if (master == null && keys.isEmpty() && store == null) {
            LOG.warn("No GATEWAY_MASTER_KEY and no keys file: every /api/v1 request will be refused with 401");
        }
        return new KeyRegistry(master, keys, store, lastKnownGoodFor);
    }

    public Optional<Caller> find(String presentedKey) {
        byte[] hash = sha256(presentedKey);
        if (masterHash != null && MessageDigest.isEqual(masterHash, hash)) {
            return Optional.of(MASTER);
        }
        String hex = HexFormat.of().formatHex(hash);
        Caller fromFile = byHash.get(hex);
        if (fromFile != null || store == null) {
            return Optional.ofNullable(fromFile);
        }
        if (!ApiKeyStore.couldBeIssued(presentedKey)) {
            // Not the shape of a key the database issues: no lookup, so made-up keys cost nothing.
            return Optional.empty();
        }
        Instant now = Instant.now();
        return recent.get(hex, this::lookUp).filter(k -> k.usableAt(now)).map(StoredKey::caller);
    }

    /**
     * The caller of a key named by its id, for work the gateway runs later on that key's behalf (batch
     * items): the master key ("master"), a keys-file key (its hash prefix) or a database key, asked
     * afresh so a revocation or expiry since submission is seen. Never for HTTP callers: they present
     * the secret.
     */
    public Optional<Caller> findById(String keyId) {
        if (MASTER.keyId().equals(keyId)) {
            return masterHash == null ? Optional.empty() : Optional.of(MASTER);
        }
        for (Caller c : byHash.values()) {
            if (c.keyId().equals(keyId)) {
                return Optional.of(c);
            }
        }
        if (store == null) {
            return Optional.empty();
        }
        try {
            Instant now = Instant.now();
            return store.get(keyId).filter(k -> k.usableAt(now)).map(StoredKey::caller);
        } catch (SQLException e) {
            throw GatewayException.of(ErrorType.SERVER, "API keys cannot be checked right now; try again shortly")
                    .status(503).code("key_store_unavailable").build();
        }
    }

    /** Forgets what is cached of a database key, after this instance revoked or rotated it. */
    public void forget(String keyId) {
        recent.invalidateAll();
        lastKnownGood.asMap().values().removeIf(k -> k.id().equals(keyId));
    }

    private Optional<StoredKey> lookUp(String hex) {
        long now = System.nanoTime();
        long probeAt = nextProbeNanos;
        if (storeDown && now - probeAt < 0) {
            // While the database is down, one lookup a second finds out whether it is back; the
            // others do not wait for its connection timeout.
            return fallback(hex);
        }
        nextProbeNanos = now + PROBE_INTERVAL_NANOS;
        Optional<StoredKey> found;
        try {
            found = store.findBySecretHash(hex);
        } catch (SQLException e) {
            if (!storeDown) {
                storeDown = true;
                LOG.warn("API key database unreachable ({}): keys verified lately keep working for a while", e.getMessage());
            }
            return fallback(hex);
        }
        if (storeDown) {
            storeDown = false;
            LOG.info("API key database reachable again");
        }
        // What the database says is remembered, revocations included; an unknown key leaves the fallback.
        if (found.isPresent()) {
            lastKnownGood.put(hex, found.get());
        } else {
            lastKnownGood.invalidate(hex);
        }
        return found;
    }

    private Optional<StoredKey> fallback(String hex) {
        StoredKey known = lastKnownGood.getIfPresent(hex);
        if (known != null) {
            return Optional.of(known);
        }
        throw GatewayException.of(ErrorType.SERVER, "API keys cannot be checked right now; try again shortly")
                .status(503).code("key_store_unavailable").build();
    }

    private static Long longOrNull(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asLong() : null;
    }

    private static String textOrNull(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
