package ai.infrastack.gateway.batch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the batches of every instance, from the database: a poller finds unfinished batches (new ones,
 * and those of an instance that died) and gives each up to its {@code max_concurrent_requests} workers,
 * each a virtual thread that claims one item at a time under a lease, runs it through the chat pipeline
 * and stores its outcome before claiming the next. A heartbeat keeps this instance's leases alive; those
 * of a dead instance run out and its items are claimed again. A rate-limited item waits (Retry-After,
 * capped) and is tried again, holding its place, rather than failing.
 */
final class BatchRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final BatchStore store;
    private final BatchItemCall call;
    private final BatchCompletionNotice notice;
    private final Duration lease;
    private final long pollMs;
    private final int maxRetries;
    private final long maxRetryWaitMs;
    private final String owner = "gw-" + UUID.randomUUID();
    private final Set<String> driven = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Semaphore wakeUp = new Semaphore(0);
    private volatile boolean stopping;

    BatchRunner(BatchStore store, BatchItemCall call, BatchCompletionNotice notice, Duration lease, long pollMs,
                int maxRetries, long maxRetryWaitMs) {
        this.store = store;
        this.call = call;
        this.notice = notice;
        this.lease = lease;
        this.pollMs = pollMs;
        this.maxRetries = maxRetries;
        this.maxRetryWaitMs = maxRetryWaitMs;
    }

    void start() {
        LOG.info("Batch runner {} started (lease {} s)", owner, lease.toSeconds());
        spawn("batch-poller", this::poll);
        spawn("batch-heartbeat", this::heartbeat);
    }

    /** A new batch was stored: look now rather than at the next poll. */
    void nudge() {
        wakeUp.release();
    }

    /** Takes no new item; items in flight finish and are stored (up to {@code grace}), the rest is left to the leases. */
    void stop(Duration grace) {
        stopping = true;
        wakeUp.release();
        long deadline = System.nanoTime() + grace.toNanos();
        for (Thread t : threads) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    t.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void poll() {
        while (!stopping) {
            try {
                for (String batchId : store.unfinished()) {
                    drive(batchId);
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Batch poll failed: {}", e.toString());
            }
            try {
                wakeUp.tryAcquire(pollMs, TimeUnit.MILLISECONDS);
                wakeUp.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void heartbeat() {
        long every = Math.max(100, lease.toMillis() / 3);
        // after stop, it keeps the leases of the items still finishing (every thread but itself)
        while (!stopping || threads.size() > 1) {
            try {
                store.renewLeases(owner, Instant.now().plus(lease));
            } catch (SQLException e) {
                LOG.warn("Batch lease renewal failed: {}", e.toString());
            }
            if (!pause(every)) {
                return;
            }
        }
    }

    private void drive(String batchId) throws SQLException {
        if (driven.contains(batchId)) {
            return;
        }
        Optional<BatchSummary> batch = store.summary(batchId);
        if (batch.isEmpty() || !driven.add(batchId)) {
            return;
        }
        int workers = batch.get().maxConcurrent();
        AtomicInteger alive = new AtomicInteger(workers);
        for (int i = 0; i < workers; i++) {
            spawn("batch-" + batchId + "-" + i, () -> {
                try {
                    work(batchId);
                } finally {
                    if (alive.decrementAndGet() == 0) {
                        driven.remove(batchId);
                    }
                }
            });
        }
    }

    /** One worker: claim, run, store, until the batch has nothing left to claim and is finished. */
    private void work(String batchId) {
        while (!stopping) {
            try {
                Instant now = Instant.now();
                Optional<BatchStore.Claimed> item = store.claim(batchId, owner, now, now.plus(lease));
                if (item.isPresent()) {
                    run(item.get());
                    continue;
                }
                Optional<BatchSummary> finished = store.finish(batchId, now);
                if (finished.isPresent()) {
                    LOG.info("Batch {} {}: {} of {} completed", batchId, finished.get().status(), finished.get().completed(),
                            finished.get().total());
                    if (notice.send(finished.get())) {
                        store.markNotified(batchId, Instant.now());
                    }
                    return;
                }
                if (store.summary(batchId).map(BatchSummary::finished).orElse(true)) {
                    return;
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Batch {} worker failed: {}", batchId, e.toString());
            }
            // Every slot is taken (here or by another instance), or a dead instance's lease has not run out yet.
            if (!pause(pollMs)) {
                return;
            }
        }
    }

    private void run(BatchStore.Claimed item) throws SQLException {
        BatchItemCall.Outcome outcome = call.run(item.keyId(), item.requestJson());
        for (int retry = 0; outcome.worthRetrying() && retry < maxRetries; retry++) {
            if (stopping || !pause(Math.min(maxRetryWaitMs, Math.max(100, outcome.retryAfterSeconds() * 1000)))) {
                // stopping while it waits: another instance (or the next start) runs it
                store.release(item, owner);
                return;
            }
            outcome = call.run(item.keyId(), item.requestJson());
        }
        String state = outcome.succeeded() ? BatchSummary.COMPLETED : BatchSummary.FAILED;
        if (!storeWhileHeld(item, state, outcome)) {
            LOG.warn("Batch {} item {}: lease lost before its result was stored (request {})", item.batchId(), item.index(),
                    outcome.requestId());
        }
    }

    /**
     * Stores the outcome, trying again while the database is away: the item was answered (and charged),
     * so giving it up would run it twice. The heartbeat keeps its lease meanwhile.
     */
    private boolean storeWhileHeld(BatchStore.Claimed item, String state, BatchItemCall.Outcome outcome) throws SQLException {
        while (true) {
            try {
                return store.store(item, owner, state, outcome.status(), outcome.body(), outcome.cost(), outcome.requestId(),
                        Instant.now());
            } catch (SQLException e) {
                LOG.warn("Batch {} item {}: result not stored yet ({}), trying again", item.batchId(), item.index(), e.toString());
                if (!pause(1000)) {
                    throw e;
                }
            }
        }
    }

    private void spawn(String name, Runnable task) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                task.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(t);
        t.start();
    }

    /** Sleeps, waking early when stopping; false when interrupted. */
    private boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
