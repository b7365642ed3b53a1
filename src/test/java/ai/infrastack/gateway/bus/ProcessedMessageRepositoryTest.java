package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.TestDatabases;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Camel's idempotent consumer over {@link ProcessedMessageRepository}, keyed by key id + custom_id,
 * on the schema our migrations create, in the embedded H2 default and in a real PostgreSQL.
 */
class ProcessedMessageRepositoryTest extends CamelTestSupport {
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_redelivered_message_is_skipped_and_another_key_or_custom_id_is_not(String engine) throws Exception {
        ProcessedMessageRepository repository = repository(database(engine), "kafka-requests");
        context.addRoutes(idempotentRoute(repository, e -> { }));
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedBodiesReceived("first", "same custom_id, other key", "same key, other custom_id");

        send("first", "key_1", "item-1");
        send("redelivered", "key_1", "item-1");
        send("same custom_id, other key", "key_2", "item-1");
        send("same key, other custom_id", "key_1", "item-2");

        processed.assertIsSatisfied();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void an_id_is_remembered_by_a_restarted_instance(String engine) {
        Database db = database(engine);
        ProcessedMessageRepository before = repository(db, "kafka-requests");
        ProcessedMessageRepository after = repository(db, "kafka-requests");
        ProcessedMessageRepository otherRoute = repository(db, "rabbitmq-requests");

        assertTrue(before.add("key_1:item-1"));
        assertFalse(after.add("key_1:item-1"));
        assertTrue(otherRoute.add("key_1:item-1"), "each route keeps its own ids");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void an_id_inserted_by_another_instance_between_check_and_insert_is_a_duplicate(String engine) {
        Database db = database(engine);
        ProcessedMessageRepository other = repository(db, "kafka-requests");
        ProcessedMessageRepository racing = new ProcessedMessageRepository(db.dataSource(), "kafka-requests") {
            @Override
            protected int queryForInt(String key) {
                return 0; // checked before the other instance inserted
            }
        };
        racing.start();
        toClose.add(racing::stop);

        assertTrue(other.add("key_1:item-1"));
        assertFalse(racing.add("key_1:item-1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_message_whose_processing_failed_is_processed_when_redelivered(String engine) throws Exception {
        ProcessedMessageRepository repository = repository(database(engine), "kafka-requests");
        AtomicInteger attempts = new AtomicInteger();
        context.addRoutes(idempotentRoute(repository, e -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("simulated upstream failure");
            }
        }));
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedBodiesReceived("second attempt");

        assertThrows(CamelExecutionException.class, () -> send("first attempt", "key_1", "item-1"));
        send("second attempt", "key_1", "item-1");

        processed.assertIsSatisfied();
    }

    private static RouteBuilder idempotentRoute(ProcessedMessageRepository repository, org.apache.camel.Processor work) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from("direct:requests")
                        .idempotentConsumer(simple("${header.gatewayKeyId}:${header.customId}"), repository)
                        .process(work)
                        .to("mock:processed");
            }
        };
    }

    private void send(String body, String keyId, String customId) {
        template.sendBodyAndHeaders("direct:requests", body, Map.of("gatewayKeyId", keyId, "customId", customId));
    }

    private Database database(String engine) {
        String url = switch (engine) {
            case "h2" -> TestDatabases.freshH2();
            case "postgresql" -> TestDatabases.freshPostgres();
            default -> throw new IllegalArgumentException(engine);
        };
        Database db = Database.open(DatabaseUrl.parse(url), 2);
        toClose.add(db);
        return db;
    }

    private ProcessedMessageRepository repository(Database db, String processorName) {
        ProcessedMessageRepository repository = new ProcessedMessageRepository(db.dataSource(), processorName);
        repository.start();
        toClose.add(repository::stop);
        return repository;
    }
}
