package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One running gateway per database engine for a test class, each on a fresh empty database and
 * with a bootstrap keys file holding {@link #FILE_KEY}; plus the HTTP and JDBC helpers the key
 * tests share. Close it from the class's {@code @AfterAll}.
 */
final class KeyGateways implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MASTER = RunningGateway.MASTER_KEY;
    /** A key from the keys file, which keeps working for bootstrapping next to the database keys. */
    static final String FILE_KEY = "sk-file-bootstrap-key-5150";

    /** The database engines every key test runs against. */
    enum Engine {
        POSTGRES(TestDatabases::freshPostgres),
        H2(TestDatabases::freshH2);

        private final Supplier<String> freshDatabase;

        Engine(Supplier<String> freshDatabase) {
            this.freshDatabase = freshDatabase;
        }
    }

    /** A gateway and the database it keeps its keys in. */
    record Gateway(RunningGateway http, String databaseUrl, Map<String, String> settings) {
    }

    private final Map<Engine, Gateway> running = new EnumMap<>(Engine.class);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    synchronized Gateway on(Engine engine) {
        return running.computeIfAbsent(engine, e -> {
            String url = e.freshDatabase.get();
            Map<String, String> settings = Map.of(
                    "gateway.database.url", url,
                    "gateway.auth.keys-file", keysFile().toString());
            return new Gateway(RunningGateway.start(settings), url, settings);
        });
    }

    @Override
    public synchronized void close() {
        running.values().forEach(g -> g.http().close());
        running.clear();
    }

    private static Path keysFile() {
        try {
            Path file = Files.createTempFile("keys", ".yaml");
            file.toFile().deleteOnExit();
            Files.writeString(file, """
                    keys:
                      - key: %s
                        tier: pro
                        user_id: bootstrap_user
                        project_id: bootstrap_project
                    """.formatted(FILE_KEY));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- HTTP ----

    /** POST /api/v1/keys with the master key; asserts 201 and returns the created key with its secret. */
    static JsonNode createKey(RunningGateway gateway, String body) {
        HttpResponse<String> r = gateway.post("/keys", body, MASTER);
        assertEquals(201, r.statusCode(), r.body());
        return json(r);
    }

    static HttpResponse<String> chat(RunningGateway gateway, String key, String model) {
        return gateway.post("/chat/completions",
                "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}", key);
    }

    static HttpResponse<String> delete(RunningGateway gateway, String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                .timeout(Duration.ofSeconds(30)).DELETE();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + r.body(), e);
        }
    }

    /** Asserts an error response in the spec's shape and returns its {@code error} object. */
    static JsonNode error(HttpResponse<String> r, int status, String type) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode err = json(r).path("error");
        assertEquals(type, err.path("type").asText(), r.body());
        return err;
    }

    // ---- database ----

    static Connection jdbc(Gateway gateway) throws SQLException {
        return DriverManager.getConnection(gateway.databaseUrl());
    }

    /** Computed here, independently of the gateway's own hashing code. */
    static String sha256Hex(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
