package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.auth.KeyGateways.Engine;
import ai.infrastack.gateway.auth.KeyGateways.Gateway;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static ai.infrastack.gateway.auth.KeyGateways.FILE_KEY;
import static ai.infrastack.gateway.auth.KeyGateways.MASTER;
import static ai.infrastack.gateway.auth.KeyGateways.chat;
import static ai.infrastack.gateway.auth.KeyGateways.createKey;
import static ai.infrastack.gateway.auth.KeyGateways.delete;
import static ai.infrastack.gateway.auth.KeyGateways.error;
import static ai.infrastack.gateway.auth.KeyGateways.jdbc;
import static ai.infrastack.gateway.auth.KeyGateways.json;
import static ai.infrastack.gateway.auth.KeyGateways.sha256Hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The life of a database API key over real HTTP, on PostgreSQL and on H2: created with its secret
 * shown once and stored only as a hash, used, revoked or rotated and then refused within a second,
 * expired, limited to its models; the keys file keeps working beside it.
 */
class KeyLifecycleTest {
    private static final KeyGateways GATEWAYS = new KeyGateways();

    @AfterAll
    static void stop() {
        GATEWAYS.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void created_key_shows_its_secret_once_and_the_database_holds_only_its_hash(Engine engine) throws SQLException {
        Gateway gw = GATEWAYS.on(engine);
        RunningGateway gateway = gw.http();
        Instant expires = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        JsonNode created = createKey(gateway, """
                {"name": "ci key", "tier": "pro", "user_id": "user_7", "project_id": "project_x",
                 "allowed_models": ["gpt-4o", "claude-3-haiku"],
                 "limits": {"requests_per_hour": 250, "tokens_per_hour": 90000},
                 "expires_at": "%s"}""".formatted(expires));
        String secret = created.path("key").asText();
        String id = created.path("id").asText();

        assertTrue(secret.length() >= 32, "a long random secret: " + secret);
        assertEquals("api_key", created.path("object").asText());
        assertEquals("ci key", created.path("name").asText());
        assertEquals("pro", created.path("tier").asText());
        assertEquals("user_7", created.path("user_id").asText());
        assertEquals("project_x", created.path("project_id").asText());
        assertEquals("[\"claude-3-haiku\",\"gpt-4o\"]", created.path("allowed_models").toString());
        assertEquals(250, created.path("limits").path("requests_per_hour").asLong());
        assertEquals(90000, created.path("limits").path("tokens_per_hour").asLong());
        assertEquals(expires, Instant.parse(created.path("expires_at").asText()));
        assertTrue(created.path("revoked_at").isNull());
        assertNotNull(Instant.parse(created.path("created_at").asText()));
        assertEquals("active", created.path("status").asText());
        assertTrue(secret.startsWith(created.path("key_prefix").asText()) && created.path("key_prefix").asText().length() < secret.length() / 2,
                "the prefix identifies the key without giving it away");
        assertFalse(created.has("key_hash"));
        assertFalse(created.toString().contains(sha256Hex(secret)), "the hash is never returned");

        HttpResponse<String> got = gateway.get("/keys/" + id, MASTER);
        assertEquals(200, got.statusCode(), got.body());
        JsonNode fetched = json(got);
        assertFalse(fetched.has("key"), "get does not show the secret again");
        assertFalse(got.body().contains(secret));
        assertFalse(got.body().contains(sha256Hex(secret)));
        JsonNode expected = created.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected).remove("key");
        assertEquals(expected, fetched, "get shows the key as create did, less the secret");

        HttpResponse<String> listed = gateway.get("/keys", MASTER);
        assertEquals(200, listed.statusCode(), listed.body());
        assertFalse(listed.body().contains(secret), "list does not show the secret");
        assertFalse(listed.body().contains(sha256Hex(secret)), "list does not show the hash");
        boolean found = false;
        for (JsonNode k : json(listed).path("data")) {
            found |= id.equals(k.path("id").asText());
            assertFalse(k.has("key"));
        }
        assertTrue(found, "the new key is listed: " + listed.body());

        try (Connection c = jdbc(gw); PreparedStatement ps = c.prepareStatement("SELECT * FROM api_keys");
             ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData meta = rs.getMetaData();
            int rows = 0;
            while (rs.next()) {
                rows++;
                for (int col = 1; col <= meta.getColumnCount(); col++) {
                    String value = rs.getString(col);
                    assertFalse(value != null && value.contains(secret),
                            "column " + meta.getColumnName(col) + " holds the secret in clear");
                }
                if (id.equals(rs.getString("id"))) {
                    assertEquals(sha256Hex(secret), rs.getString("key_hash"), "the row keeps the SHA-256 of the secret");
                }
            }
            assertTrue(rows >= 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void revoked_key_is_refused_at_once_by_the_gateway_that_revoked_it(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        JsonNode created = createKey(gateway, "{\"name\": \"to revoke\"}");
        String secret = created.path("key").asText();
        String id = created.path("id").asText();

        HttpResponse<String> used = chat(gateway, secret, "gpt-4o");
        assertEquals(200, used.statusCode(), used.body());

        HttpResponse<String> revoked = gateway.post("/keys/" + id + "/revoke", "", MASTER);
        assertEquals(200, revoked.statusCode(), revoked.body());
        JsonNode body = json(revoked);
        assertEquals("revoked", body.path("status").asText());
        assertFalse(body.has("key"));
        Instant revokedAt = Instant.parse(body.path("revoked_at").asText());

        // The key was cached a moment ago; this instance forgets it on revoke.
        JsonNode err = error(chat(gateway, secret, "gpt-4o"), 401, "authentication_error");
        assertEquals("invalid_api_key", err.path("code").asText());

        HttpResponse<String> again = gateway.post("/keys/" + id + "/revoke", "", MASTER);
        assertEquals(200, again.statusCode(), "revoking twice is fine: " + again.body());
        assertEquals(revokedAt, Instant.parse(json(again).path("revoked_at").asText()), "the first revocation time stays");
        HttpResponse<String> deleted = delete(gateway, "/keys/" + id, MASTER);
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertEquals("revoked", json(deleted).path("status").asText());
        assertEquals("revoked", json(gateway.get("/keys/" + id, MASTER)).path("status").asText());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void key_revoked_through_one_gateway_is_refused_by_another_within_a_second(Engine engine) {
        Gateway gw = GATEWAYS.on(engine);
        RunningGateway first = gw.http();
        try (RunningGateway second = RunningGateway.start(gw.settings())) {
            JsonNode created = createKey(first, "{\"name\": \"shared\"}");
            String secret = created.path("key").asText();
            HttpResponse<String> used = chat(second, secret, "gpt-4o");
            assertEquals(200, used.statusCode(), "the other instance knows the key: " + used.body());

            HttpResponse<String> revoked = delete(first, "/keys/" + created.path("id").asText(), MASTER);
            assertEquals(200, revoked.statusCode(), revoked.body());
            assertRefusedWithinASecond(second, secret);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void rotated_key_keeps_its_id_and_only_the_new_secret_works(Engine engine) throws SQLException {
        Gateway gw = GATEWAYS.on(engine);
        RunningGateway gateway = gw.http();
        JsonNode created = createKey(gateway, "{\"name\": \"to rotate\", \"tier\": \"enterprise\", \"user_id\": \"u_rot\"}");
        String oldSecret = created.path("key").asText();
        String id = created.path("id").asText();
        assertEquals(200, chat(gateway, oldSecret, "gpt-4o").statusCode());

        HttpResponse<String> rotated = gateway.post("/keys/" + id + "/rotate", "", MASTER);
        assertEquals(200, rotated.statusCode(), rotated.body());
        JsonNode body = json(rotated);
        String newSecret = body.path("key").asText();
        assertEquals(id, body.path("id").asText(), "rotation keeps the key id");
        assertEquals("enterprise", body.path("tier").asText());
        assertEquals("u_rot", body.path("user_id").asText());
        assertEquals("active", body.path("status").asText());
        assertNotEquals(oldSecret, newSecret);
        assertTrue(newSecret.startsWith(body.path("key_prefix").asText()));

        // The old secret was cached a moment ago; this instance forgets it on rotate.
        error(chat(gateway, oldSecret, "gpt-4o"), 401, "authentication_error");
        HttpResponse<String> withNew = chat(gateway, newSecret, "gpt-4o");
        assertEquals(200, withNew.statusCode(), withNew.body());
        assertFalse(gateway.get("/keys/" + id, MASTER).body().contains(newSecret), "get does not show the new secret");

        try (Connection c = jdbc(gw); PreparedStatement ps = c.prepareStatement("SELECT key_hash FROM api_keys WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(sha256Hex(newSecret), rs.getString(1));
            }
        }

        assertEquals(200, gateway.post("/keys/" + id + "/revoke", "", MASTER).statusCode());
        JsonNode err = error(gateway.post("/keys/" + id + "/rotate", "", MASTER), 400, "invalid_request_error");
        assertEquals("key_revoked", err.path("code").asText());
        assertEquals("id", err.path("param").asText());
        error(chat(gateway, newSecret, "gpt-4o"), 401, "authentication_error");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void expired_key_is_refused(Engine engine) throws InterruptedException {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        Instant expires = Instant.now().plusMillis(1500);
        JsonNode created = createKey(gateway, "{\"name\": \"short-lived\", \"expires_at\": \"" + expires + "\"}");
        String secret = created.path("key").asText();
        HttpResponse<String> before = chat(gateway, secret, "gpt-4o");
        assertEquals(200, before.statusCode(), "usable until it expires: " + before.body());

        long wait = Instant.now().until(expires, ChronoUnit.MILLIS);
        if (wait > 0) {
            Thread.sleep(wait);
        }
        assertRefusedWithinASecond(gateway, secret);
        assertEquals("expired", json(gateway.get("/keys/" + created.path("id").asText(), MASTER)).path("status").asText());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void key_may_use_only_its_allowed_models(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        // Named by an alias: stored as the gateway id the model check compares with.
        JsonNode created = createKey(gateway, "{\"allowed_models\": [\"openai/gpt-4o-mini\"]}");
        assertEquals("[\"gpt-4o-mini\"]", created.path("allowed_models").toString());
        String secret = created.path("key").asText();

        JsonNode err = error(chat(gateway, secret, "gpt-4o"), 403, "permission_error");
        assertEquals("model", err.path("param").asText());
        HttpResponse<String> allowed = chat(gateway, secret, "gpt-4o-mini");
        assertEquals(200, allowed.statusCode(), allowed.body());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void keys_file_key_still_authenticates_alongside_database_keys(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        String dbSecret = createKey(gateway, "{\"name\": \"db\"}").path("key").asText();

        HttpResponse<String> fromFile = chat(gateway, FILE_KEY, "gpt-4o");
        assertEquals(200, fromFile.statusCode(), fromFile.body());
        HttpResponse<String> fromDb = chat(gateway, dbSecret, "gpt-4o");
        assertEquals(200, fromDb.statusCode(), fromDb.body());
        error(chat(gateway, FILE_KEY + "x", "gpt-4o"), 401, "authentication_error");
    }

    /** Polls for at most a second (plus one request's time) until the key is refused with 401. */
    private static void assertRefusedWithinASecond(RunningGateway gateway, String secret) {
        long start = System.nanoTime();
        List<Integer> seen = new ArrayList<>();
        while (true) {
            long sentAfterMs = (System.nanoTime() - start) / 1_000_000;
            HttpResponse<String> r = chat(gateway, secret, "gpt-4o");
            seen.add(r.statusCode());
            if (r.statusCode() == 401) {
                assertEquals("authentication_error", json(r).path("error").path("type").asText());
                return;
            }
            if (sentAfterMs >= 1000) {
                fail("still accepted " + sentAfterMs + " ms later; statuses " + seen);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
            }
        }
    }
}
