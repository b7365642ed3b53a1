package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leases that keep instances from running an item twice, on PostgreSQL and on the embedded H2 alike
 * (the same SQL must work on both): concurrent claims by two owners never exceed the batch's ceiling nor
 * share an item; an expired lease passes to another owner and the old owner can no longer store; a stored
 * item is never claimed again; a cancelled batch takes no claim and finishes once its running item is stored.
 */
class BatchStoreTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    private static Database open(String kind) {
        return Database.open(DatabaseUrl.parse("postgres".equals(kind) ? TestDatabases.freshPostgres() : TestDatabases.freshH2()), 10);
    }

    private static NewBatch batch(int items, int maxConcurrent) {
        List<NewBatch.Item> list = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            list.add(new NewBatch.Item("c" + i, "{\"model\":\"gpt-4o-mini\",\"messages\":[]}"));
        }
        return new NewBatch(list, maxConcurrent, true, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "h2"})
    void two_owners_claiming_at_once_never_exceed_the_ceiling_nor_share_an_item(String kind) throws Exception {
        try (Database db = open(kind)) {
            BatchStore store = new BatchStore(db.dataSource());
            store.create("b1", "k1", batch(20, 3), T0);
            Set<Integer> claimed = ConcurrentHashMap.newKeySet();
            List<Integer> all = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String owner = t % 2 == 0 ? "A" : "B";
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 5; i++) {
                            store.claim("b1", owner, T0, T0.plusSeconds(30)).ifPresent(c -> {
                                claimed.add(c.index());
                                all.add(c.index());
                            });
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(Set.of(0, 1, 2), claimed, "the first three, each once");
            assertEquals(3, all.size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "h2"})
    void an_expired_lease_passes_on_and_a_stored_item_is_never_claimed_again(String kind) throws Exception {
        try (Database db = open(kind)) {
            BatchStore store = new BatchStore(db.dataSource());
            store.create("b2", "k1", batch(2, 1), T0);
            BatchStore.Claimed byA = store.claim("b2", "A", T0, T0.plusSeconds(10)).orElseThrow();
            assertEquals(0, byA.index());
            assertEquals(Optional.empty(), store.claim("b2", "B", T0.plusSeconds(5), T0.plusSeconds(15)), "A's lease is live");

            BatchStore.Claimed byB = store.claim("b2", "B", T0.plusSeconds(11), T0.plusSeconds(21)).orElseThrow();
            assertEquals(0, byB.index(), "A's lease ran out: B takes the item over");
            assertFalse(store.store(byA, "A", "completed", 200, "{}", BigDecimal.ONE, "req_a", T0.plusSeconds(12)),
                    "A lost its lease and cannot store");
            assertTrue(store.store(byB, "B", "completed", 200, "{}", BigDecimal.ONE, "req_b", T0.plusSeconds(12)));

            BatchStore.Claimed next = store.claim("b2", "A", T0.plusSeconds(100), T0.plusSeconds(110)).orElseThrow();
            assertEquals(1, next.index(), "item 0 is stored: never claimed again");
            assertEquals("req_b", store.results("b2").get(0).requestId());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "h2"})
    void a_cancelled_batch_takes_no_claim_and_finishes_once_its_running_item_is_stored(String kind) throws Exception {
        try (Database db = open(kind)) {
            BatchStore store = new BatchStore(db.dataSource());
            store.create("b3", "k1", batch(3, 1), T0);
            BatchStore.Claimed running = store.claim("b3", "A", T0, T0.plusSeconds(30)).orElseThrow();
            assertTrue(store.cancel("b3", T0.plusSeconds(1)));
            assertFalse(store.cancel("b3", T0.plusSeconds(1)), "already cancelled");
            assertEquals(Optional.empty(), store.claim("b3", "B", T0.plusSeconds(60), T0.plusSeconds(90)));
            assertEquals(Optional.empty(), store.finish("b3", T0.plusSeconds(2)), "an item is still running");

            assertTrue(store.store(running, "A", "completed", 200, "{}", new BigDecimal("0.00012"), "req", T0.plusSeconds(3)));
            BatchSummary done = store.finish("b3", T0.plusSeconds(4)).orElseThrow();
            assertEquals("cancelled", done.status());
            assertEquals(1, done.completed());
            assertEquals(2, done.cancelled());
            assertEquals(0, new BigDecimal("0.00012").compareTo(done.totalCost()));
            assertEquals(Optional.empty(), store.finish("b3", T0.plusSeconds(5)), "finished once");
        }
    }
}
