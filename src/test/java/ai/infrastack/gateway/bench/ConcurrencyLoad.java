package ai.infrastack.gateway.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrency, not rate: many calls in flight at once through one gateway, with health and a fast
 * chat probed all along. Three processes on loopback — the sandbox upstreams, the gateway (started
 * by {@code bin/gateway} from the packaged jar) and this load generator — because 10,000 calls
 * need about 10,000 upstream sockets in the gateway and this machine allows a process 20,000 files.
 *
 * <pre>
 * mvn -q package -DskipTests &amp;&amp; mvn -q test-compile exec:exec@load-test
 * </pre>
 *
 * <ol>
 *   <li><b>calls</b>: {@code --calls} (10,000) unary gpt-4o calls whose upstream answers after
 *   {@code --upstream-ms} (10 s), sent over HTTP/2 without TLS (h2c, prior knowledge) on
 *   {@code --h2-connections} connections — the multiplexing keeps the gateway's inbound sockets
 *   few — started within {@code --ramp-ms}, so all are in flight together.</li>
 *   <li><b>streams</b>: {@code --streams} (5,000) streamed calls over HTTP/1.1, one connection
 *   each, whose upstream sends an event every {@code --chunk-ms}.</li>
 *   <li><b>ceiling</b>: the gateway restarted with {@code gateway.admission.max-in-flight} at
 *   {@code --ceiling}; {@code --ceiling-calls} slow calls at once: the excess must be refused with
 *   503 at once.</li>
 * </ol>
 * Each gateway is warmed up first ({@code --warmup} fast calls, streams and health checks, then up
 * to 2,000 calls waiting 1 s upstream, all at once). During
 * each scenario, {@code GET /api/v1/health} and a chat with no upstream delay are sent every
 * {@code --probe-ms} on connections of their own; the gateway's RSS, OS threads and open files are
 * sampled from /proc. Writes Markdown to stdout and {@code target/load-test/report.md}.
 */
public final class ConcurrencyLoad {
    private ConcurrencyLoad() {
    }

    record Options(int calls, int streams, long upstreamMs, long chunkMs, int h2Connections, long rampMs, long probeMs,
                   int ceiling, int ceilingCalls, String scenarios, int warmup) {
        static Options parse(String[] args) {
            Map<String, String> a = new LinkedHashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
            }
            return new Options(Integer.parseInt(a.getOrDefault("calls", "10000")),
                    Integer.parseInt(a.getOrDefault("streams", "5000")),
                    Long.parseLong(a.getOrDefault("upstream-ms", "10000")),
                    Long.parseLong(a.getOrDefault("chunk-ms", "1000")),
                    Integer.parseInt(a.getOrDefault("h2-connections", "200")),
                    Long.parseLong(a.getOrDefault("ramp-ms", "5000")),
                    Long.parseLong(a.getOrDefault("probe-ms", "50")),
                    Integer.parseInt(a.getOrDefault("ceiling", "1000")),
                    Integer.parseInt(a.getOrDefault("ceiling-calls", "1500")),
                    a.getOrDefault("scenarios", "calls,streams,ceiling"),
                    Integer.parseInt(a.getOrDefault("warmup", "5000")));
        }
    }

    /** What one scenario measured. */
    static final class Result {
        final String name;
        final Map<Integer, AtomicInteger> statuses = new TreeMap<>();
        final AtomicInteger failures = new AtomicInteger();
        final Map<String, AtomicInteger> failureKinds = new ConcurrentHashMap<>();
        final Histogram latency = new Histogram(3_600_000_000L, 3);
        final Histogram refusedLatency = new Histogram(3_600_000_000L, 3);
        final Histogram health = new Histogram(3_600_000_000L, 3);
        final Histogram fastChat = new Histogram(3_600_000_000L, 3);
        final AtomicInteger probeFailures = new AtomicInteger();
        final AtomicInteger incompleteStreams = new AtomicInteger();
        long wallMs;
        long peakRssKb;
        long peakThreads;
        long peakOpenFiles;
        long rssBeforeKb;
        long threadsBefore;
        double gatewayCpuSeconds;
        double sandboxCpuSeconds;
        double loadGeneratorCpuSeconds;
        String loadBefore;
        String loadAfter;

        Result(String name) {
            this.name = name;
        }

        synchronized void status(int status, long micros) {
            statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
            if (status == 503) {
                refusedLatency.recordValue(micros);
            } else {
                latency.recordValue(micros);
            }
        }

        void failure(Throwable t) {
            failures.incrementAndGet();
            failureKinds.computeIfAbsent(t.getClass().getSimpleName() + ": " + t.getMessage(), k -> new AtomicInteger())
                    .incrementAndGet();
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        LoadProcesses.pinSelf();
        List<Result> results = new ArrayList<>();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            if (o.scenarios.contains("calls") || o.scenarios.contains("streams")) {
                // The admission ceiling above what the scenarios send, probes included: these
                // scenarios measure carrying the calls, the ceiling scenario measures refusing them.
                int room = Math.max(o.calls, o.streams) + 1_000;
                try (LoadProcesses p = LoadProcesses.start(Map.of("gateway.admission.max-in-flight", String.valueOf(room)))) {
                    warmUp(vertx, p, o.warmup);
                    if (o.scenarios.contains("calls")) {
                        results.add(run(vertx, p, "calls", o.calls, o, false));
                    }
                    if (o.scenarios.contains("streams")) {
                        results.add(run(vertx, p, "streams", o.streams, o, true));
                    }
                }
            }
            if (o.scenarios.contains("ceiling")) {
                try (LoadProcesses p = LoadProcesses.start(Map.of("gateway.admission.max-in-flight", String.valueOf(o.ceiling)))) {
                    warmUp(vertx, p, Math.min(o.warmup, 2000));
                    results.add(run(vertx, p, "ceiling " + o.ceiling, o.ceilingCalls, o, false));
                }
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        String report = report(o, results);
        System.out.println(report);
        Files.writeString(Path.of("target", "load-test", "report.md"), report);
        System.exit(0);
    }

    private static Result run(Vertx vertx, LoadProcesses p, String name, int count, Options o, boolean streams)
            throws Exception {
        Result r = new Result(name);
        r.rssBeforeKb = p.gatewayStatus("VmRSS");
        r.threadsBefore = p.gatewayStatus("Threads");
        r.loadBefore = loadAverage();
        double cpuBefore = p.gatewayCpuSeconds();
        double sandboxBefore = p.sandboxCpuSeconds();
        double selfBefore = LoadProcesses.cpuSeconds(ProcessHandle.current().pid());
        HttpClient load = streams
                ? vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(30_000),
                        new PoolOptions().setHttp1MaxSize(count + 10).setMaxWaitQueueSize(-1))
                : vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                                .setHttp2ClearTextUpgrade(false).setHttp2MultiplexingLimit(
                                        Math.max(1, (count + o.h2Connections - 1) / o.h2Connections)),
                        new PoolOptions().setHttp2MaxSize(o.h2Connections).setMaxWaitQueueSize(-1));
        // Probes on connections and an event loop of their own: they measure the gateway, not a
        // queue in this client behind its thousands of calls.
        Vertx probeLoop = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        HttpClient probes = probeLoop.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(8));
        String body = streams
                ? chat("Tell me a story about the sea [sandbox:chunk_delay=" + o.chunkMs + "]", true)
                : chat("Hello from the load test [sandbox:latency=" + o.upstreamMs + "]", false);
        String fast = chat("A fast question", false);

        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            r.peakRssKb = Math.max(r.peakRssKb, p.gatewayStatus("VmRSS"));
            r.peakThreads = Math.max(r.peakThreads, p.gatewayStatus("Threads"));
            r.peakOpenFiles = Math.max(r.peakOpenFiles, p.gatewayOpenFiles());
        }, 0, 250, TimeUnit.MILLISECONDS);
        AtomicLong probing = new AtomicLong(1);
        long probeId = probeLoop.setPeriodic(o.probeMs, t -> {
            if (probing.get() == 0) {
                return;
            }
            long s = System.nanoTime();
            send(probes, p.gatewayPort, HttpMethod.GET, "/api/v1/health", null)
                    .onSuccess(st -> r.health.recordValue(micros(s)))
                    .onFailure(e -> r.probeFailures.incrementAndGet());
            long c = System.nanoTime();
            send(probes, p.gatewayPort, HttpMethod.POST, "/api/v1/chat/completions", fast)
                    .onSuccess(st -> {
                        if (st == 200) {
                            r.fastChat.recordValue(micros(c));
                        } else {
                            r.probeFailures.incrementAndGet();
                        }
                    })
                    .onFailure(e -> r.probeFailures.incrementAndGet());
        });

        GatewayProfile profile = GatewayProfile.start(p.gatewayPid());
        CountDownLatch done = new CountDownLatch(count);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long at = start + o.rampMs * 1_000_000L * i / count;
            long delayMs = Math.max(0, (at - System.nanoTime()) / 1_000_000L);
            Runnable fire = () -> {
                long s = System.nanoTime();
                Future<Integer> call = streams ? stream(load, p.gatewayPort, body, r)
                        : send(load, p.gatewayPort, HttpMethod.POST, "/api/v1/chat/completions", body);
                call.onComplete(res -> {
                    if (res.succeeded()) {
                        r.status(res.result(), micros(s));
                    } else {
                        r.failure(res.cause());
                    }
                    done.countDown();
                });
            };
            if (delayMs == 0) {
                vertx.runOnContext(v -> fire.run());
            } else {
                vertx.setTimer(delayMs, t -> fire.run());
            }
        }
        vertx.setTimer(o.rampMs + o.upstreamMs / 2, t -> Thread.ofVirtual().start(() -> profile.histogram(name.replace(' ', '-'))));
        boolean finished = done.await(o.upstreamMs + o.rampMs + 240_000, TimeUnit.MILLISECONDS);
        r.wallMs = (System.nanoTime() - start) / 1_000_000;
        r.gatewayCpuSeconds = p.gatewayCpuSeconds() - cpuBefore;
        r.sandboxCpuSeconds = p.sandboxCpuSeconds() - sandboxBefore;
        r.loadGeneratorCpuSeconds = LoadProcesses.cpuSeconds(ProcessHandle.current().pid()) - selfBefore;
        r.loadAfter = loadAverage();
        profile.stop(name.replace(' ', '-'));
        probing.set(0);
        probeLoop.cancelTimer(probeId);
        Thread.sleep(300);
        sampler.shutdownNow();
        if (!finished) {
            r.failures.addAndGet((int) done.getCount());
            r.failureKinds.put("no answer before the deadline", new AtomicInteger((int) done.getCount()));
        }
        load.close();
        probes.close();
        probeLoop.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return r;
    }

    /**
     * Fast calls, streams and health checks, 50 at a time, before anything is measured: a fresh JVM
     * runs the request path interpreted at first, and what the test measures is a warm gateway.
     */
    private static void warmUp(Vertx vertx, LoadProcesses p, int n) throws Exception {
        if (n <= 0) {
            return;
        }
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false), new PoolOptions().setHttp2MaxSize(40));
        HttpClient plain = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(10));
        Result ignored = new Result("warm-up");
        CountDownLatch done = new CountDownLatch(n);
        AtomicInteger next = new AtomicInteger();
        Runnable[] fire = new Runnable[1];
        fire[0] = () -> {
            int i = next.getAndIncrement();
            if (i >= n) {
                return;
            }
            Future<Integer> call = switch (i % 4) {
                case 0 -> send(plain, p.gatewayPort, HttpMethod.GET, "/api/v1/health", null);
                case 1 -> stream(plain, p.gatewayPort, chat("Warm up the stream " + i, true), ignored);
                default -> send(client, p.gatewayPort, HttpMethod.POST, "/api/v1/chat/completions", chat("Warm up " + i, false));
            };
            call.onComplete(r -> {
                done.countDown();
                fire[0].run();
            });
        };
        for (int i = 0; i < 50; i++) {
            vertx.runOnContext(v -> fire[0].run());
        }
        if (!done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("warm-up did not finish");
        }
        // Then calls that wait upstream, many at once: what the scenarios run (a virtual thread
        // parked on its socket, a pool that grows) is compiled before it is measured.
        int slow = Math.min(n, 2_000);
        CountDownLatch waited = new CountDownLatch(slow);
        String body = chat("Warm up a slow call [sandbox:latency=1000]", false);
        for (int i = 0; i < slow; i++) {
            vertx.setTimer(1 + i / 2, t -> send(client, p.gatewayPort, HttpMethod.POST, "/api/v1/chat/completions", body)
                    .onComplete(r -> waited.countDown()));
        }
        if (!waited.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException("warm-up did not finish");
        }
        client.close();
        plain.close();
    }

    private static Future<Integer> send(HttpClient client, int port, HttpMethod method, String path, String body) {
        RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
                .putHeader("Authorization", "Bearer " + LoadProcesses.MASTER_KEY).setTimeout(300_000);
        return client.request(options).compose(req -> {
            if (body == null) {
                return req.send();
            }
            req.putHeader("Content-Type", "application/json");
            return req.send(body);
        }).compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    /** A streamed call; a stream that does not end with [DONE] counts as incomplete. */
    private static Future<Integer> stream(HttpClient client, int port, String body, Result r) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/api/v1/chat/completions").setTimeout(300_000)
                .putHeader("Authorization", "Bearer " + LoadProcesses.MASTER_KEY)
                .putHeader("Content-Type", "application/json");
        return client.request(options).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> {
            if (resp.statusCode() == 200 && !b.toString().contains("data: [DONE]")) {
                r.incompleteStreams.incrementAndGet();
            }
            return resp.statusCode();
        }));
    }

    private static String chat(String content, boolean stream) {
        return "{\"model\":\"gpt-4o\",\"max_tokens\":20,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static long micros(long startNanos) {
        return Math.max(1, (System.nanoTime() - startNanos) / 1000);
    }

    private static String report(Options o, List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("# Concurrency load test\n\n");
        b.append("Run ").append(OffsetDateTime.now(ZoneOffset.UTC).withNano(0)).append(" on ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores; load generator on ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append(". Upstream delay ").append(o.upstreamMs).append(" ms (calls), ").append(o.chunkMs)
                .append(" ms between stream events; calls started within ").append(o.rampMs).append(" ms; h2c on ")
                .append(o.h2Connections).append(" connections for calls, HTTP/1.1 one connection per stream.\n\n");
        b.append("| scenario | answers | errors | wall | latency p50 | p99 | max | 503 p99 | health p50 | health p99 | fast chat p50 | fast chat p99 | probe errors | gateway RSS before → peak | OS threads before → peak | open files peak |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            StringBuilder statuses = new StringBuilder();
            r.statuses.forEach((s, n) -> statuses.append(statuses.isEmpty() ? "" : ", ").append(n.get()).append(" × ").append(s));
            int errors = r.failures.get() + r.incompleteStreams.get()
                    + r.statuses.entrySet().stream().filter(e -> e.getKey() != 200 && !(r.name.startsWith("ceiling") && e.getKey() == 503))
                    .mapToInt(e -> e.getValue().get()).sum();
            b.append("| ").append(r.name).append(" | ").append(statuses).append(" | ").append(errors)
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f s", r.wallMs / 1000.0))
                    .append(" | ").append(ms(r.latency, 50)).append(" | ").append(ms(r.latency, 99))
                    .append(" | ").append(ms(r.latency, 100)).append(" | ").append(ms(r.refusedLatency, 99))
                    .append(" | ").append(ms(r.health, 50)).append(" | ").append(ms(r.health, 99))
                    .append(" | ").append(ms(r.fastChat, 50)).append(" | ").append(ms(r.fastChat, 99))
                    .append(" | ").append(r.probeFailures.get())
                    .append(" | ").append(r.rssBeforeKb / 1024).append(" → ").append(r.peakRssKb / 1024).append(" MiB")
                    .append(" | ").append(r.threadsBefore).append(" → ").append(r.peakThreads)
                    .append(" | ").append(r.peakOpenFiles).append(" |\n");
        }
        for (Result r : results) {
            if (!r.failureKinds.isEmpty()) {
                b.append("\n").append(r.name).append(" failures: ").append(r.failureKinds).append('\n');
            }
            if (r.incompleteStreams.get() > 0) {
                b.append("\n").append(r.name).append(": ").append(r.incompleteStreams.get()).append(" stream(s) without [DONE]\n");
            }
            b.append("\n").append(r.name).append(": ").append(r.health.getTotalCount()).append(" health probes, ")
                    .append(r.fastChat.getTotalCount()).append(" fast chats; gateway CPU ")
                    .append(String.format(Locale.ROOT, "%.1f s (%.2f ms per call)", r.gatewayCpuSeconds,
                            1000 * r.gatewayCpuSeconds / Math.max(1, r.latency.getTotalCount() + r.refusedLatency.getTotalCount())))
                    .append(String.format(Locale.ROOT, "; sandbox CPU %.1f s; load generator CPU %.1f s",
                            r.sandboxCpuSeconds, r.loadGeneratorCpuSeconds))
                    .append("; machine load average ").append(r.loadBefore).append(" before, ").append(r.loadAfter).append(" after\n");
        }
        return b.toString();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static String ms(Histogram h, double percentile) {
        if (h.getTotalCount() == 0) {
            return "–";
        }
        long v = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
        return String.format(Locale.ROOT, "%.1f ms", v / 1000.0);
    }
}
