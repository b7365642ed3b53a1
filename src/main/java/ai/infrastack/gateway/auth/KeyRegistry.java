package ai.infrastack.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * allowed_models: [gpt-4o-mini]}]};
 * {@code key_sha256: <hex>} may stand instead of {@code key} so the file need not hold secrets.
 */
public final class KeyRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRegistry.class);

    private final byte[] masterHash;
    private final Map<String, Caller> byHash;

    KeyRegistry(byte[] masterHash, Map<String, Caller> byHash) {
        this.masterHash = masterHash;
        this.byHash = Map.copyOf(byHash);
    }

    public static KeyRegistry load(String masterKey, Path keysFile) {
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
                            textOrNull(k, "user_id"), textOrNull(k, "project_id"), false, Set.copyOf(allowed)));
                }
                LOG.info("Loaded {} API key(s) from {}", keys.size(), keysFile);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read keys file " + keysFile + ": " + e.getMessage(), e);
            }
        }
        if (master == null && keys.isEmpty()) {
            LOG.warn("No GATEWAY_MASTER_KEY and no keys file: every /api/v1 request will be refused with 401");
        }
        return new KeyRegistry(master, keys);
    }

    public Optional<Caller> find(String presentedKey) {
        byte[] hash = sha256(presentedKey);
        if (masterHash != null && MessageDigest.isEqual(masterHash, hash)) {
            return Optional.of(new Caller("master", "admin", null, null, true, Set.of()));
        }
        return Optional.ofNullable(byHash.get(HexFormat.of().formatHex(hash)));
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
