package ai.infrastack.gateway.bench;

import org.HdrHistogram.Histogram;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load: request {@code i} is due at {@code start + i / rate} and is fired then whether or
 * not earlier requests have been answered, so a slow reply cannot delay (and hide) the requests
 * behind it. Latency is measured from the <em>due</em> time, not from the moment the request was
 * actually handed to the client, which corrects for coordinated omission: if the generator itself
 * falls behind, that lateness counts against the system under test as a real client would see it.
 *
 * <p>Bounded: exactly {@code rate × seconds} requests are due; at most {@code maxInFlight} are
 * outstanding (a due request finding the cap reached is not sent and counts as an error); the
 * drain after the last one waits at most {@code drainMillis}.
 */
final class OpenLoopLoad {
    /** Latencies above this are clamped (they would be errors anyway: the request timeout is lower). */
    static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private OpenLoopLoad() {
    }

    /** What one phase measured. Latencies are in nanoseconds. */
    record Result(String label, Histogram latency, Histogram sendLag, long due, long ok,
                  Map<String, Long> errors, double achievedPerSecond, double jvmCpuMillis, double othersCpuShare,
                  long jitMillis, long gcMillis, long classesLoaded) {

        /** CPU this whole JVM (generator, gateway, sandbox) spent per answered request, in µs; -1 if unknown. */
        double jvmCpuMicrosPerRequest() {
            return jvmCpuMillis < 0 || ok == 0 ? -1 : jvmCpuMillis * 1000 / ok;
        }

        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    static Histogram newHistogram() {
        return new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
    }

    static Result run(String label, HttpClient client, HttpRequest request, int rate, int seconds,
                      int maxInFlight, long drainMillis) {
        long due = (long) rate * seconds;
        Phase phase = new Phase(maxInFlight);
        CpuSample cpuBefore = CpuSample.now();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        for (long i = 0; i < due; i++) {
            long intended = start + i * 1_000_000_000L / rate;
            sleepUntil(intended);
            phase.recordSendLag(System.nanoTime() - intended);
            if (!phase.inFlight.tryAcquire()) {
                phase.error("in-flight cap reached (not sent)");
                continue;
            }
            client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, failure) -> {
                long done = System.nanoTime();
                try {
                    if (failure != null) {
                        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                        phase.error(cause.getClass().getSimpleName());
                    } else if (response.statusCode() != 200) {
                        phase.error("HTTP " + response.statusCode());
                    } else {
                        phase.ok(done - intended, done);
                    }
                } finally {
                    phase.inFlight.release();
                }
            });
        }
        long drainDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        while (phase.inFlight.availablePermits() < maxInFlight && System.nanoTime() < drainDeadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        CpuSample cpuAfter = CpuSample.now();
        return phase.finish(label, due, start, cpuAfter.selfMillisSince(cpuBefore),
                cpuAfter.othersShareSince(cpuBefore, Runtime.getRuntime().availableProcessors()),
                cpuAfter.jitMillisSince(cpuBefore), cpuAfter.gcMillisSince(cpuBefore), cpuAfter.classesLoadedSince(cpuBefore));
    }

    /** Parks until {@code deadline}; never spins, so the generator does not steal a core from the gateway. */
    private static void sleepUntil(long deadline) {
        for (int guard = 0; guard < 10_000; guard++) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return;
            }
            LockSupport.parkNanos(remaining);
        }
    }

    /** State shared by the firing thread and the client's completion threads. */
    private static final class Phase {
        final Semaphore inFlight;
        private final Object lock = new Object();
        private final Histogram latency = newHistogram();
        private final Histogram sendLag = newHistogram();
        private final Map<String, Long> errors = new TreeMap<>();
        private long ok;
        private long lastDone;
        private boolean closed;

        Phase(int maxInFlight) {
            this.inFlight = new Semaphore(maxInFlight);
        }

        void recordSendLag(long nanos) {
            synchronized (lock) {
                sendLag.recordValue(clamp(nanos));
            }
        }

        void ok(long nanos, long done) {
            synchronized (lock) {
                if (!closed) {
                    latency.recordValue(clamp(nanos));
                    ok++;
                    lastDone = Math.max(lastDone, done);
                }
            }
        }

        void error(String kind) {
            synchronized (lock) {
                if (!closed) {
                    errors.merge(kind, 1L, Long::sum);
                }
            }
        }

        Result finish(String label, long due, long start, double cpuMillis, double othersShare, long jitMillis,
                      long gcMillis, long classesLoaded) {
            synchronized (lock) {
                closed = true;
                long answered = ok + errors.values().stream().mapToLong(Long::longValue).sum();
                if (answered < due) {
                    errors.merge("unanswered at end of drain", due - answered, Long::sum);
                }
                double seconds = (lastDone - start) / 1e9;
                double achieved = seconds > 0 ? ok / seconds : 0;
                return new Result(label, latency.copy(), sendLag.copy(), due, ok, new TreeMap<>(errors), achieved,
                        cpuMillis, othersShare, jitMillis, gcMillis, classesLoaded);
            }
        }

        private static long clamp(long nanos) {
            return Math.max(0, Math.min(nanos, HIGHEST_TRACKABLE_NANOS));
        }
    }
}
