package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The ledger's SQL on both engines it runs on: holds, refusals, expiry of a crashed request's hold. */
class BudgetLedgerTest {
    private static final BudgetScope PROJECT = new BudgetScope(BudgetScope.PROJECT, "p1", Period.DAY);

    private static Database open(String engine) {
        return Database.open(DatabaseUrl.parse("postgres".equals(engine) ? TestDatabases.freshPostgres() : TestDatabases.freshH2()), 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void holds_count_against_the_limit_until_settled_and_settling_charges_at_most_the_hold(String engine) throws Exception {
        try (Database db = open(engine)) {
            BudgetLedger ledger = new BudgetLedger(db.dataSource(), Duration.ofMinutes(5), 2, 5_000);
            ledger.setLimit(PROJECT, new BigDecimal("1.00"), List.of());
            BudgetLedger.Outcome first = ledger.reserve(List.of(PROJECT), new BigDecimal("0.60"), "r1");
            assertNotNull(first.reservation());
            BudgetLedger.Outcome second = ledger.reserve(List.of(PROJECT), new BigDecimal("0.60"), "r2");
            assertNull(second.reservation());
            assertEquals(0, second.refusal().reserved().compareTo(new BigDecimal("0.60")));
            ledger.settle(first.reservation(), new BigDecimal("0.75"), Map.of(), null);
            BudgetLedger.Status s = ledger.status(null).get(0);
            assertEquals(0, s.spent().compareTo(new BigDecimal("0.60")), "charged at most what was held");
            assertEquals(0, s.reserved().signum());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void a_crashed_requests_hold_expires_and_a_late_settle_gives_nothing_back_twice(String engine) throws Exception {
        try (Database db = open(engine)) {
            BudgetLedger expiring = new BudgetLedger(db.dataSource(), Duration.ofMillis(-1), 2, 5_000);
            BudgetLedger ledger = new BudgetLedger(db.dataSource(), Duration.ofMinutes(5), 2, 5_000);
            ledger.setLimit(PROJECT, new BigDecimal("1.00"), List.of());
            // A hold whose time to live is already over, as a crashed instance's would be.
            BudgetLedger.Reservation crashed = expiring.reserve(List.of(PROJECT), new BigDecimal("0.90"), "crashed").reservation();
            assertEquals(0, ledger.status(null).get(0).reserved().signum(), "readers no longer count an expired hold");
            BudgetLedger.Outcome next = ledger.reserve(List.of(PROJECT), new BigDecimal("0.50"), "next");
            assertNotNull(next.reservation(), "the expired hold was given back");
            ledger.settle(crashed, new BigDecimal("0.10"), Map.of(), null);
            BudgetLedger.Status s = ledger.status(null).get(0);
            assertEquals(0, s.spent().compareTo(new BigDecimal("0.10")));
            assertEquals(0, s.reserved().compareTo(new BigDecimal("0.50")), "the late settle returned nothing a second time");
        }
    }
}
