package ai.infrastack.gateway.support;

import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true (polling), failing after a minute: never a timing assertion. */
public final class Await {
    private Await() {}

    public static void until(BooleanSupplier condition) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 60 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
