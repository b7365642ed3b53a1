package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelSpec;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Latency seen live per model: the median of its last {@value #WINDOW} answered calls (unary and
 * streamed alike), so one slow call does not reorder the speed ranking but a provider that slows
 * down does within a few calls. A model not called yet is taken at the catalog's avg_latency_ms.
 */
public final class ObservedLatency {
    public static final String BEAN = "observedLatency";
    static final int WINDOW = 20;

    private static final class Window {
        private final long[] samples = new long[WINDOW];
        private int count;
        private int next;

        synchronized void add(long ms) {
            samples[next] = ms;
            next = (next + 1) % WINDOW;
            count = Math.min(count + 1, WINDOW);
        }

        synchronized long median() {
            long[] copy = Arrays.copyOf(samples, count);
            Arrays.sort(copy);
            return copy[count / 2];
        }

        synchronized boolean empty() {
            return count == 0;
        }
    }

    private final Map<String, Window> byModel = new ConcurrentHashMap<>();
    private final Map<String, Window> byProvider = new ConcurrentHashMap<>();

    public void record(String provider, String modelId, long ms) {
        byModel.computeIfAbsent(modelId, m -> new Window()).add(ms);
        byProvider.computeIfAbsent(provider, p -> new Window()).add(ms);
    }

    /** The model's observed median, or the catalog's typical latency before any call. */
    public long of(ModelSpec model) {
        Window w = byModel.get(model.id());
        return w == null || w.empty() ? model.avgLatencyMs() : w.median();
    }

    /** The provider's observed median over its models, or -1 before any call. */
    public long ofProvider(String provider) {
        Window w = byProvider.get(provider);
        return w == null || w.empty() ? -1 : w.median();
    }
}
