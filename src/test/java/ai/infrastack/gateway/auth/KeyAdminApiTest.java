package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.auth.KeyGateways.Engine;
import ai.infrastack.gateway.auth.KeyGateways.Gateway;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static ai.infrastack.gateway.auth.KeyGateways.FILE_KEY;
import static ai.infrastack.gateway.auth.KeyGateways.MASTER;
import static ai.infrastack.gateway.auth.KeyGateways.createKey;
import static ai.infrastack.gateway.auth.KeyGateways.delete;
import static ai.infrastack.gateway.auth.KeyGateways.error;
import static ai.infrastack.gateway.auth.KeyGateways.jdbc;
import static ai.infrastack.gateway.auth.KeyGateways.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract of the admin API under /api/v1/keys, on PostgreSQL and on H2: who may call it,
 * the shapes it answers with, how it names a bad parameter, and how it fails when the database does.
 */
class KeyAdminApiTest {
    private static final KeyGateways GATEWAYS = new KeyGateways();

    @AfterAll
    static void stop() {
        GATEWAYS.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void only_the_master_key_may_manage_keys(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        JsonNode created = createKey(gateway, "{\"tier\": \"enterprise\"}");
        String dbKey = created.path("key").asText();
        String id = created.path("id").asText();

        for (String key : List.of(dbKey, FILE_KEY)) {
            List<HttpResponse<String>> attempts = List.of(
                    gateway.get("/keys", key),
                    gateway.post("/keys", "{}", key),
                    gateway.get("/keys/" + id, key),
                    gateway.post("/keys/" + id + "/rotate", "", key),
                    gateway.post("/keys/" + id + "/revoke", "", key),
                    delete(gateway, "/keys/" + id, key));
            for (HttpResponse<String> r : attempts) {
                error(r, 403, "permission_error");
                assertFalse(r.body().contains(dbKey));
            }
        }
        error(gateway.get("/keys", null), 401, "authentication_error");
        error(gateway.post("/keys", "{}", null), 401, "authentication_error");
        error(gateway.get("/keys", "sk-not-a-key-at-all"), 401, "authentication_error");

        JsonNode after = json(gateway.get("/keys/" + id, MASTER));
        assertEquals("active", after.path("status").asText(), "no refused call changed the key");
        assertEquals(created.path("key_prefix").asText(), after.path("key_prefix").asText(), "no refused call rotated it");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void invalid_create_requests_are_refused_naming_the_parameter(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"tier\": \"gold\"}", "tier");
        cases.put("{\"tier\": 3}", "tier");
        cases.put("{\"name\": 42}", "name");
        cases.put("{\"user_id\": [\"u\"]}", "user_id");
        cases.put("{\"project_id\": \"  \"}", "project_id");
        cases.put("{\"allowed_models\": \"gpt-4o\"}", "allowed_models");
        cases.put("{\"allowed_models\": [\"gpt-4o\", 7]}", "allowed_models[1]");
        cases.put("{\"allowed_models\": [\"no-such-model\"]}", "allowed_models[0]");
        cases.put("{\"limits\": 100}", "limits");
        cases.put("{\"limits\": {\"requests_per_hour\": 0}}", "limits.requests_per_hour");
        cases.put("{\"limits\": {\"requests_per_hour\": \"100\"}}", "limits.requests_per_hour");
        cases.put("{\"limits\": {\"tokens_per_hour\": 1.5}}", "limits.tokens_per_hour");
        cases.put("{\"limits\": {\"tokens_per_hour\": -5}}", "limits.tokens_per_hour");
        cases.put("{\"limits\": {\"requests_per_minute\": 5}}", "limits.requests_per_minute");
        cases.put("{\"expires_at\": \"next tuesday\"}", "expires_at");
        cases.put("{\"expires_at\": \"2030-01-01\"}", "expires_at");
        cases.put("{\"expires_at\": 1893456000}", "expires_at");
        cases.put("{\"expires_at\": \"2001-01-01T00:00:00Z\"}", "expires_at");
        // far-future instants would overflow the database's timestamp to a negative year
        cases.put("{\"expires_at\": \"+999999-01-01T00:00:00Z\"}", "expires_at");
        cases.put("{\"expires_at\": \"3000-01-01T00:00:00Z\"}", "expires_at");
        cases.put("{\"expiry\": \"2099-01-01T00:00:00Z\"}", "expiry");

        int keysBefore = json(gateway.get("/keys", MASTER)).path("data").size();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = gateway.post("/keys", c.getKey(), MASTER);
            JsonNode err = r.statusCode() == 400 ? json(r).path("error") : null;
            if (err == null || !"invalid_request_error".equals(err.path("type").asText())
                    || !c.getValue().equals(err.path("param").asText())) {
                wrong.add(c.getKey() + " -> " + r.statusCode() + " " + r.body());
            }
        }
        assertEquals(List.of(), wrong, "each bad body is a 400 naming its parameter");

        for (String malformed : List.of("{\"tier\": ", "[\"pro\"]", "{\"tier\": \"pro\"} trailing", "{\"tier\": \"pro\", \"tier\": \"free\"}")) {
            HttpResponse<String> r = gateway.post("/keys", malformed, MASTER);
            JsonNode err = error(r, 400, "invalid_request_error");
            assertTrue(err.path("param").isNull(), malformed + ": " + r.body());
        }
        assertEquals(keysBefore, json(gateway.get("/keys", MASTER)).path("data").size(), "no refused request created a key");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void a_key_created_from_an_empty_object_gets_the_defaults(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        HttpResponse<String> r = gateway.post("/keys", "{}", MASTER);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode k = json(r);
        assertTrue(k.path("id").asText().startsWith("key_"));
        assertEquals("free", k.path("tier").asText());
        assertEquals("active", k.path("status").asText());
        assertTrue(k.path("allowed_models").isArray() && k.path("allowed_models").isEmpty());
        for (String nullField : List.of("name", "user_id", "project_id", "expires_at", "revoked_at")) {
            assertTrue(k.has(nullField) && k.get(nullField).isNull(), nullField + " present and null: " + k);
        }
        assertTrue(k.path("limits").path("requests_per_hour").isNull());
        assertTrue(k.path("limits").path("tokens_per_hour").isNull());
        assertFalse(k.path("key").asText().isEmpty());
        Instant created = Instant.parse(k.path("created_at").asText());
        assertTrue(Math.abs(ChronoUnit.SECONDS.between(created, Instant.now())) < 60, "created_at is now: " + created);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void list_returns_every_key_in_creation_order(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        String first = createKey(gateway, "{\"name\": \"first\"}").path("id").asText();
        String second = createKey(gateway, "{\"name\": \"second\", \"tier\": \"pro\"}").path("id").asText();

        HttpResponse<String> r = gateway.get("/keys", MASTER);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("list", body.path("object").asText());
        List<String> ids = new ArrayList<>();
        for (JsonNode k : body.path("data")) {
            ids.add(k.path("id").asText());
            assertEquals("api_key", k.path("object").asText());
            assertFalse(k.has("key"), "no secret in a list: " + k);
        }
        assertTrue(ids.indexOf(first) >= 0 && ids.indexOf(first) < ids.indexOf(second), ids.toString());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void unknown_key_ids_are_not_found(Engine engine) {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        List<HttpResponse<String>> attempts = List.of(
                gateway.get("/keys/key_doesnotexist", MASTER),
                gateway.post("/keys/key_doesnotexist/revoke", "", MASTER),
                gateway.post("/keys/key_doesnotexist/rotate", "", MASTER),
                delete(gateway, "/keys/key_doesnotexist", MASTER));
        for (HttpResponse<String> r : attempts) {
            JsonNode err = error(r, 404, "not_found_error");
            assertEquals("key_not_found", err.path("code").asText(), r.body());
            assertEquals("id", err.path("param").asText(), r.body());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void form_encoded_create_is_refused_as_unsupported(Engine engine) throws Exception {
        RunningGateway gateway = GATEWAYS.on(engine).http();
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/keys"))
                .header("Authorization", "Bearer " + MASTER)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tier\":\"pro\"}")).build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals("unsupported_media_type", error(r, 415, "invalid_request_error").path("code").asText());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Engine.class)
    void a_database_failure_is_a_503_that_tells_the_client_nothing_internal(Engine engine) throws SQLException {
        Gateway gw = GATEWAYS.on(engine);
        RunningGateway gateway = gw.http();
        createKey(gateway, "{\"name\": \"before the outage\"}");
        List<HttpResponse<String>> during = new ArrayList<>();
        try (Connection c = jdbc(gw); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE api_keys RENAME TO api_keys_away");
            try {
                during.add(gateway.get("/keys", MASTER));
                during.add(gateway.post("/keys", "{\"name\": \"during the outage\"}", MASTER));
                during.add(gateway.get("/keys/key_whatever", MASTER));
                during.add(gateway.post("/keys/key_whatever/rotate", "", MASTER));
            } finally {
                s.execute("ALTER TABLE api_keys_away RENAME TO api_keys");
            }
        }
        for (HttpResponse<String> r : during) {
            JsonNode err = error(r, 503, "server_error");
            assertEquals("database_unavailable", err.path("code").asText(), r.body());
            String body = r.body().toLowerCase();
            for (String leak : List.of("api_keys", "sql", "exception", "select", "insert", "jdbc", "\tat ")) {
                assertFalse(body.contains(leak), "'" + leak + "' leaked to the client: " + r.body());
            }
        }
        HttpResponse<String> recovered = gateway.get("/keys", MASTER);
        assertEquals(200, recovered.statusCode(), "back once the table is: " + recovered.body());
    }
}
