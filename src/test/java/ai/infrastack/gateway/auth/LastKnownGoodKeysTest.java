package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static ai.infrastack.gateway.auth.KeyGateways.MASTER;
import static ai.infrastack.gateway.auth.KeyGateways.chat;
import static ai.infrastack.gateway.auth.KeyGateways.createKey;
import static ai.infrastack.gateway.auth.KeyGateways.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The database may flap: a key it vouched for lately keeps working while it is unreachable, a
 * revocation it reported still wins, and a key it never vouched for is not guessed at. The test runs
 * its own embedded PostgreSQL and stops it.
 */
class LastKnownGoodKeysTest {
    @TempDir
    Path dataDir;
    private EmbeddedPostgres postgres;

    @AfterEach
    void stopPostgres() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void keys_seen_lately_work_while_the_database_is_down_and_revocations_still_win() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        postgres = EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false).start();
        try (RunningGateway gateway = RunningGateway.start(Map.of(
                "gateway.database.url", postgres.getJdbcUrl("postgres", "postgres"),
                "gateway.request-log.retry-ms", "200"))) {
            String seen = createKey(gateway, "{\"name\": \"seen\"}").path("key").asText();
            JsonNode revokedKey = createKey(gateway, "{\"name\": \"revoked\"}");
            String revoked = revokedKey.path("key").asText();
            String neverUsed = createKey(gateway, "{\"name\": \"never used\"}").path("key").asText();

            assertEquals(200, chat(gateway, seen, "gpt-4o").statusCode());
            assertEquals(200, chat(gateway, revoked, "gpt-4o").statusCode());
            assertEquals(200, gateway.post("/keys/" + revokedKey.path("id").asText() + "/revoke", "", MASTER).statusCode());
            assertEquals(401, chat(gateway, revoked, "gpt-4o").statusCode(), "revoked while the database was up");

            postgres.close();
            postgres = null;

            HttpResponse<String> ok = chat(gateway, seen, "gpt-4o");
            assertEquals(200, ok.statusCode(), "a key verified lately keeps working: " + ok.body());
            assertEquals(401, chat(gateway, revoked, "gpt-4o").statusCode(), "the revocation, once seen, still wins");
            HttpResponse<String> unknown = chat(gateway, neverUsed, "gpt-4o");
            assertEquals(503, unknown.statusCode(), "a key never verified cannot be vouched for: " + unknown.body());
            assertEquals("key_store_unavailable", json(unknown).path("error").path("code").asText());

            // Health reads what the request log last saw of the database (it never waits for it itself):
            // down once the writer's attempt has failed, within its 2 s connection timeout.
            JsonNode health = json(gateway.get("/health", null));
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
            while (!"down".equals(health.path("database").path("status").asText()) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                health = json(gateway.get("/health", null));
            }
            assertEquals("down", health.path("database").path("status").asText(), health.toString());
            assertEquals("degraded", health.path("status").asText(), health.toString());
        }
    }
}
