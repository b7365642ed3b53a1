package ai.infrastack.gateway.sandbox;

import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streams parked mid-way until a test releases them by name ({@code [sandbox:hold=<name>]} with
 * {@code [sandbox:hold_after=<n>]}): a test can then see what reached its client while the upstream
 * has sent exactly n events — proof of no buffering that does not depend on timing.
 */
final class StreamHolds {
    private final Vertx vertx;
    private final Map<String, List<Runnable>> parked = new HashMap<>();
    private final Set<String> released = new HashSet<>();

    StreamHolds(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Runs {@code resume} once {@code name} is released (at once if it already was). */
    synchronized void park(String name, Runnable resume) {
        if (released.contains(name)) {
            vertx.runOnContext(v -> resume.run());
            return;
        }
        parked.computeIfAbsent(name, k -> new ArrayList<>()).add(resume);
    }

    synchronized int parked(String name) {
        return parked.getOrDefault(name, List.of()).size();
    }

    synchronized void release(String name) {
        released.add(name);
        for (Runnable resume : parked.getOrDefault(name, List.of())) {
            vertx.runOnContext(v -> resume.run());
        }
        parked.remove(name);
    }
}
