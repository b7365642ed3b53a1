package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stored responses on PostgreSQL and on H2 (the migration's SQL runs on both): kept with their context and
 * output items, seen only in their scope, gone after the retention (and purged), deleted with their items.
 */
class ResponseStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Database> toClose = new ArrayList<>();

    @AfterEach
    void close() {
        toClose.forEach(Database::close);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_response_is_found_with_its_items_only_in_its_scope(String engine) throws Exception {
        ResponseStore store = store(engine, Clock.systemUTC());
        store.save("project:a", response("resp_1", "msg_1"), context("Hello"));

        ResponseStore.Stored stored = store.find("project:a", "resp_1").orElseThrow();
        assertEquals("resp_1", stored.response().path("id").asText());
        assertEquals("Hello", stored.context().get(0).path("content").asText());
        assertEquals("Hi there", store.item("project:a", "msg_1").orElseThrow().path("content").get(0).path("text").asText());
        assertTrue(store.find("project:b", "resp_1").isEmpty(), "another project does not see it");
        assertTrue(store.item("project:b", "msg_1").isEmpty(), "nor its items");
        assertFalse(store.delete("project:b", "resp_1"), "nor deletes it");

        assertTrue(store.delete("project:a", "resp_1"));
        assertTrue(store.find("project:a", "resp_1").isEmpty());
        assertTrue(store.item("project:a", "msg_1").isEmpty(), "its items go with it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_response_past_its_retention_is_not_found_and_is_purged(String engine) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
        ResponseStore store = store(engine, clock);
        store.save("key:k", response("resp_old", "msg_old"), context("Old"));
        clock.now = clock.now.plus(Duration.ofDays(29));
        store.save("key:k", response("resp_new", "msg_new"), context("New"));
        assertTrue(store.find("key:k", "resp_old").isPresent(), "kept within its 30 days");

        clock.now = clock.now.plus(Duration.ofDays(2));
        assertTrue(store.find("key:k", "resp_old").isEmpty(), "past its retention");
        assertTrue(store.item("key:k", "msg_old").isEmpty());
        assertTrue(store.find("key:k", "resp_new").isPresent());
        assertEquals(1, store.purgeExpired());
        assertEquals(0, store.purgeExpired());
        assertTrue(store.find("key:k", "resp_new").isPresent());
    }

    private ResponseStore store(String engine, Clock clock) {
        String url = engine.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
        Database db = Database.open(DatabaseUrl.parse(url), 2);
        toClose.add(db);
        return new ResponseStore(db.dataSource(), JSON, Duration.ofDays(30), clock);
    }

    private static ObjectNode response(String id, String itemId) {
        ObjectNode response = JSON.createObjectNode().put("id", id).put("object", "response");
        ObjectNode item = response.putArray("output").addObject().put("id", itemId).put("type", "message").put("role", "assistant");
        item.putArray("content").addObject().put("type", "output_text").put("text", "Hi there");
        return response;
    }

    private static ArrayNode context(String text) {
        ArrayNode context = JSON.createArrayNode();
        context.addObject().put("type", "message").put("role", "user").put("content", text);
        return context;
    }

    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
