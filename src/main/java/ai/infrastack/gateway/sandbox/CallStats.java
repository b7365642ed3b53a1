package ai.infrastack.gateway.sandbox;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the sandbox saw of its callers: calls received, calls answered (the whole response written),
 * calls in flight now and the most seen at once. A call whose connection closed before its answer was
 * written (the caller died or hung up) is received but never answered — the vendor's work a bill
 * would be for is the answered one.
 */
public final class CallStats {
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    void started() {
        received.incrementAndGet();
        int now = inFlight.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
    }

    /** The whole answer reached the caller's connection. */
    void answeredOne() {
        answered.incrementAndGet();
    }

    /** The call is over, answered or not. */
    void ended() {
        inFlight.decrementAndGet();
    }

    public long received() {
        return received.get();
    }

    public long answered() {
        return answered.get();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** The most calls in flight at once since the start or the last {@link #resetPeak()}. */
    public int peakInFlight() {
        return peak.get();
    }

    /** Starts a new peak from the calls in flight now. */
    public void resetPeak() {
        peak.set(inFlight.get());
    }
}
