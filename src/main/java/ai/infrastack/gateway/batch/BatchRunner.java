package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.api.RequestIdAssigner;
import ai.infrastack.gateway.recovery.ChargedCall;
import ai.infrastack.gateway.recovery.ChargedCallLookup;
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
 *
 * <p>Crash semantics. Each call of an item runs under a request id noted with the item before it is sent
 * ({@link BatchStore#startCall}); the stored result carries it. An item taken over from a dead instance
 * (a lease that ran out with no result) is looked up by that id first ({@link ChargedCallLookup}): a call
 * the request log or the budget ledger shows as answered and charged is not sent again — the item gets the
 * {@code answer_lost} error with the charged cost, because the answer itself died with the instance; a call
 * that ended in an error is over, and the item runs as a new call; a call with no trace is sent again under
 * the same id, so its one request-log row and its one charge carry that id. What cannot be closed: a vendor
 * that answered just before the kill was paid for that answer, and the re-sent item is paid for again
 * upstream; the client is charged once.
 */
final class BatchRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final BatchStore store;
    private final BatchItemCall call;
    private final ChargedCallLookup calls;
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

    BatchRunner(BatchStore store, BatchItemCall call, ChargedCallLookup calls, BatchCompletionNotice notice, Duration lease,
                long pollMs, int maxRetries, long maxRetryWaitMs) {
        this.store = store;
        this.call = call;
        this.calls = calls;
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
        String requestId = item.requestId();
        if (requestId != null) {
            // An earlier attempt started a call and left no result: did that call end, and was it charged?
            Optional<ChargedCall> earlier = earlierCall(item);
            if (earlier.isEmpty()) {
                return; // stopping, or the lease was lost while waiting
            }
            if (earlier.get().succeeded()) {
                LOG.warn("Batch {} item {}: request {} was answered and charged by an attempt that died before storing it;"
                        + " not sent again", item.batchId(), item.index(), requestId);
                ChargedCall lost = earlier.get();
                storeWhileHeld(item, BatchSummary.FAILED, new BatchItemCall.Outcome(ChargedCall.LOST_ANSWER_STATUS,
                        lost.lostAnswerBody(), lost.cost(), requestId, 0));
                return;
            }
            if (earlier.get().requestId() != null) {
                requestId = null; // it ended with an error, logged under that id: this is a new call
            }
        }
        BatchItemCall.Outcome outcome = callUnder(item, requestId);
        for (int retry = 0; outcome != null && outcome.worthRetrying() && retry < maxRetries; retry++) {
            if (stopping || !pause(Math.min(maxRetryWaitMs, Math.max(100, outcome.retryAfterSeconds() * 1000)))) {
                // stopping while it waits: another instance (or the next start) runs it
                store.release(item, owner);
                return;
            }
            outcome = callUnder(item, null); // the answered 429 is logged under its own id; this is a new call
        }
        if (outcome == null) {
            return; // the lease was lost before the call was sent: the item is another instance's now
        }
        String state = outcome.succeeded() ? BatchSummary.COMPLETED : BatchSummary.FAILED;
        if (!storeWhileHeld(item, state, outcome)) {
            LOG.warn("Batch {} item {}: lease lost before its result was stored (request {})", item.batchId(), item.index(),
                    outcome.requestId());
        }
    }

    /**
     * Notes the call's request id with the item, then sends it under that id (a new id unless it re-runs the
     * interrupted call of {@code requestId}). Null when the lease was lost before the call.
     */
    private BatchItemCall.Outcome callUnder(BatchStore.Claimed item, String requestId) throws SQLException {
        String id = requestId != null ? requestId : RequestIdAssigner.newId();
        if (!store.startCall(item, owner, id)) {
            return null;
        }
        return call.run(item.keyId(), item.requestJson(), id);
    }

    /**
     * What became of the call an earlier attempt started under the item's request id: a {@link ChargedCall}
     * when it is known (a null request id in it means none was made, or none is known, and it is sent again
     * under the same id), empty when this instance stops first. Waits, holding the lease, until this
     * instance's request-log journal is in the database (after a restart it replays the previous run's).
     */
    private Optional<ChargedCall> earlierCall(BatchStore.Claimed item) {
        while (!stopping) {
            try {
                if (calls.decidable()) {
                    return Optional.of(calls.find(item.requestId()).orElse(new ChargedCall(null, false, null)));
                }
            } catch (SQLException e) {
                LOG.warn("Batch {} item {}: request {} not looked up yet ({})", item.batchId(), item.index(), item.requestId(),
                        e.toString());
            }
            if (!pause(pollMs)) {
                break;
            }
        }
        return Optional.empty();
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
