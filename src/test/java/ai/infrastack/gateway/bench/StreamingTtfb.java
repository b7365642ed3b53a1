package ai.infrastack.gateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Time to first content of a streamed chat: from just before the request is sent to the
 * arrival of the first SSE {@code data:} line whose {@code choices[].delta.content} is non-empty.
 * The stream is then read to its end (so neither side sees a client disconnect). One request at a
 * time, each bounded by a timeout.
 */
final class StreamingTtfb {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LINES = 10_000;
    private static final int KEPT_LINES = 5;

    private StreamingTtfb() {
    }

    /** One streamed request: its status, TTFB (ns, or -1 if no content arrived) and its first lines. */
    record Outcome(int status, long ttfbNanos, long totalNanos, boolean sawDone, List<String> firstLines, String failure) {
        boolean ok() {
            return failure == null && status == 200 && ttfbNanos >= 0 && sawDone;
        }

        String describe() {
            if (failure != null) {
                return failure;
            }
            return "HTTP " + status + (ttfbNanos < 0 ? ", no content line" : "") + (sawDone ? "" : ", no [DONE]")
                    + ", first lines: " + firstLines;
        }
    }

    static Outcome once(HttpClient client, HttpRequest request, long timeoutMillis) {
        FirstContent lines = new FirstContent();
        int[] status = {0};
        long sent = System.nanoTime();
        lines.sent = sent;
        CompletableFuture<HttpResponse<Void>> call = client.sendAsync(request, info -> {
            status[0] = info.statusCode();
            return HttpResponse.BodySubscribers.fromLineSubscriber(lines);
        });
        try {
            call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            return new Outcome(status[0], -1, -1, false, lines.kept(), "timed out after " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(status[0], -1, -1, false, lines.kept(), "interrupted");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new Outcome(status[0], -1, -1, false, lines.kept(),
                    cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
        long finished = System.nanoTime();
        return new Outcome(status[0], lines.firstContentAt < 0 ? -1 : lines.firstContentAt - sent, finished - sent,
                lines.done, lines.kept(), null);
    }

    /** Result of N requests on one path. */
    static final class Series {
        final String label;
        final Histogram ttfb = OpenLoopLoad.newHistogram();
        /** Send to the end of the stream: with TTFB it shows whether events are relayed or held back. */
        final Histogram total = OpenLoopLoad.newHistogram();
        long ok;
        long failed;
        String lastFailure;

        Series(String label) {
            this.label = label;
        }

        void add(Outcome outcome) {
            if (outcome.ok()) {
                ttfb.recordValue(Math.min(outcome.ttfbNanos(), OpenLoopLoad.HIGHEST_TRACKABLE_NANOS));
                total.recordValue(Math.min(outcome.totalNanos(), OpenLoopLoad.HIGHEST_TRACKABLE_NANOS));
                ok++;
            } else {
                failed++;
                lastFailure = outcome.describe();
            }
        }
    }

    /** Notes the arrival time of the first line carrying content; keeps the first few lines for diagnostics. */
    private static final class FirstContent implements Flow.Subscriber<String> {
        volatile long sent;
        volatile long firstContentAt = -1;
        volatile boolean done;
        private final List<String> kept = new ArrayList<>();
        private int seen;
        private Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            long now = System.nanoTime();
            if (++seen > MAX_LINES) {
                subscription.cancel();
                return;
            }
            synchronized (kept) {
                if (kept.size() < KEPT_LINES && !line.isEmpty()) {
                    kept.add(line.length() > 300 ? line.substring(0, 300) + "…" : line);
                }
            }
            if (!line.startsWith("data:")) {
                return;
            }
            String payload = line.substring(5).trim();
            if ("[DONE]".equals(payload)) {
                done = true;
                return;
            }
            if (firstContentAt < 0 && hasContent(payload)) {
                firstContentAt = now;
            }
        }

        @Override
        public void onError(Throwable throwable) {
            // the future of sendAsync fails with it
        }

        @Override
        public void onComplete() {
            // the future of sendAsync completes
        }

        List<String> kept() {
            synchronized (kept) {
                return List.copyOf(kept);
            }
        }

        private static boolean hasContent(String payload) {
            try {
                for (JsonNode choice : JSON.readTree(payload).path("choices")) {
                    JsonNode content = choice.path("delta").path("content");
                    if (content.isTextual() && !content.asText().isEmpty()) {
                        return true;
                    }
                }
            } catch (Exception notJson) {
                return false;
            }
            return false;
        }
    }
}
