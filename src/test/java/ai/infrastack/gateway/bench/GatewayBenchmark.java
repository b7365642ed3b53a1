package ai.infrastack.gateway.bench;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.RunningGateway;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the gateway adds to a call, measured against the same upstream called directly.
 *
 * <pre>
 * mvn -q test-compile exec:exec@benchmark -Dbench.args="--rate 1000 --seconds 20"
 * </pre>
 *
 * <ol>
 *   <li>Starts a sandbox (vendor simulators on 127.0.0.1, no injected latency) and the real gateway
 *       in-process ({@link RunningGateway}: same main class, routes and pricing as the jar) whose
 *       openai provider is pointed at that sandbox, access log off.</li>
 *   <li>Open-loop load at {@code --rate} req/s, {@code gpt-4o}, non-streaming: (a) straight to the
 *       sandbox's OpenAI endpoint, (b) through {@code /api/v1/chat/completions}. After a warm-up of
 *       each, {@code --rounds} rounds of {@code --seconds} per path, in A-B-B-A order against drift.</li>
 *   <li>Streaming time to first content byte with {@code [sandbox:chunk_delay=N]}, sequentially,
 *       alternating direct and gateway.</li>
 *   <li>Heap after GC and process RSS: at entry, after start-up, after the load.</li>
 * </ol>
 * Prints Markdown to stdout and writes it to {@code target/gateway-benchmark.md}. Traffic goes to
 * 127.0.0.1 only.
 */
public final class GatewayBenchmark {
    private static final String UPSTREAM_KEY = "sk-bench-openai-0123456789";
    private static final String MODEL = "gpt-4o";
    private static final Path H2_DIR = Path.of("target", "bench-db");
    private static final String H2_FILE_URL = "jdbc:h2:file:./" + H2_DIR.resolve("gateway").toString().replace('\\', '/')
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
    private static final long REQUEST_TIMEOUT_MS = 10_000;
    private static final long DRAIN_MS = 15_000;
    private static final long STREAM_TIMEOUT_MS = 30_000;
    /** Above this share of the machine's CPU used by other processes during a phase, the report warns. */
    private static final double QUIET_SHARE = 0.10;

    private GatewayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        deleteBenchDatabase();
        String loadAtStart = loadAverage();
        ProcessMemory atEntry = ProcessMemory.snapshot("at entry (nothing started)");
        List<OpenLoopLoad.Result> phases = new ArrayList<>();
        StreamingResult streaming;
        ProcessMemory afterStart;
        ProcessMemory afterLoad;
        // A small fixed pool: the client's completions are short, and a pool that grew with the backlog
        // would add hundreds of threads to the very machine being measured.
        ExecutorService clientThreads = Executors.newFixedThreadPool(options.clientThreads, daemonThreads());
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(clientThreads)
                .build();
        try (SandboxUpstreams sandbox = SandboxUpstreams.start(0)) {
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("gateway.provider.openai.base-url", sandbox.baseUrl("openai"));
            overrides.put("gateway.provider.openai.api-key", UPSTREAM_KEY);
            overrides.put("gateway.access-log.enabled", "false");
            // A provider key is set, so the gateway runs as in production: no built-in sandbox of its own.
            overrides.put("gateway.sandbox", "false");
            // The production default store (an H2 file database), here under target/, rather than the
            // tests' in-memory H2, whose request-log rows would sit on the heap being measured.
            overrides.put("gateway.database.url", options.databaseUrl != null ? options.databaseUrl : H2_FILE_URL);
            try (RunningGateway gateway = RunningGateway.start(overrides)) {
                Target direct = new Target("direct → sandbox", sandbox.baseUrl("openai") + "/chat/completions", UPSTREAM_KEY);
                Target viaGateway = new Target("gateway → sandbox", gateway.baseUrl() + "/chat/completions",
                        RunningGateway.MASTER_KEY);
                String body = chatBody("Say hello to the benchmark", false, null);
                HttpRequest directRequest = direct.request(body);
                HttpRequest gatewayRequest = viaGateway.request(body);
                checkOnce(client, direct, directRequest);
                checkOnce(client, viaGateway, gatewayRequest);
                afterStart = ProcessMemory.snapshot("after start-up (sandbox + gateway, before load)");

                progress("warm-up: %d s per path at %d req/s (discarded)", options.warmupSeconds, options.rate);
                runPhase(client, direct, directRequest, options, options.warmupSeconds, "warm-up");
                runPhase(client, viaGateway, gatewayRequest, options, options.warmupSeconds, "warm-up");
                for (int round = 1; round <= options.rounds; round++) {
                    boolean directFirst = round % 2 == 1;
                    Target first = directFirst ? direct : viaGateway;
                    Target second = directFirst ? viaGateway : direct;
                    phases.add(runPhase(client, first, directFirst ? directRequest : gatewayRequest, options,
                            options.seconds, "round " + round));
                    phases.add(runPhase(client, second, directFirst ? gatewayRequest : directRequest, options,
                            options.seconds, "round " + round));
                }

                streaming = measureStreaming(client, direct, viaGateway, options);
                afterLoad = ProcessMemory.snapshot("after the load (sandbox + gateway still running)");
            }
        } finally {
            clientThreads.shutdownNow();
            deleteBenchDatabase();
        }

        String report = report(options, loadAtStart, phases, streaming, List.of(atEntry, afterStart, afterLoad));
        System.out.println();
        System.out.println(report);
        Path out = Path.of("target", "gateway-benchmark.md");
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            System.out.println("(also written to " + out + ")");
        } catch (IOException e) {
            System.out.println("(could not write " + out + ": " + e.getMessage() + ")");
        }
    }

    // ---- the measurements ----------------------------------------------------------------------------

    private static OpenLoopLoad.Result runPhase(HttpClient client, Target target, HttpRequest request, Options options,
                                                int seconds, String phase) {
        progress("%s: %s, %d req/s for %d s", phase, target.label, options.rate, seconds);
        OpenLoopLoad.Result result = OpenLoopLoad.run(phase + ": " + target.label, client, request, options.rate,
                seconds, options.maxInFlight, DRAIN_MS);
        progress("  ok %d/%d, p50 %s ms, p99 %s ms, errors %s, JVM CPU %.0f µs/request, JIT %d ms, GC %d ms, "
                        + "classes loaded %d, others' CPU %s",
                result.ok(), result.due(), ms(result.latency().getValueAtPercentile(50)),
                ms(result.latency().getValueAtPercentile(99)), result.errors(), result.jvmCpuMicrosPerRequest(),
                result.jitMillis(), result.gcMillis(), result.classesLoaded(), percent(result.othersCpuShare()));
        return result;
    }

    /** Sequential streamed requests, alternating direct and gateway; skipped if the gateway cannot stream. */
    private static StreamingResult measureStreaming(HttpClient client, Target direct, Target viaGateway, Options options) {
        String body = chatBody("Stream a short greeting [sandbox:chunk_delay=" + options.chunkDelayMs + "]", true,
                options.streamMaxTokens);
        HttpRequest directRequest = direct.request(body);
        HttpRequest gatewayRequest = viaGateway.request(body);
        if (options.streamRequests == 0) {
            return StreamingResult.skipped("--stream-requests 0");
        }
        StreamingTtfb.Outcome probeDirect = StreamingTtfb.once(client, directRequest, STREAM_TIMEOUT_MS);
        if (!probeDirect.ok()) {
            return StreamingResult.skipped("the sandbox's own stream failed: " + probeDirect.describe());
        }
        StreamingTtfb.Outcome probeGateway = StreamingTtfb.once(client, gatewayRequest, STREAM_TIMEOUT_MS);
        if (!probeGateway.ok()) {
            return StreamingResult.skipped("streaming through the gateway does not work in this build: "
                    + probeGateway.describe());
        }
        int warmup = Math.min(20, options.streamRequests);
        progress("streaming: %d warm-up + %d measured requests each way, chunk_delay=%d ms, sequential",
                warmup, options.streamRequests, options.chunkDelayMs);
        for (int i = 0; i < warmup; i++) {
            StreamingTtfb.once(client, directRequest, STREAM_TIMEOUT_MS);
            StreamingTtfb.once(client, gatewayRequest, STREAM_TIMEOUT_MS);
        }
        CpuSample cpuBefore = CpuSample.now();
        StreamingTtfb.Series directSeries = new StreamingTtfb.Series(direct.label);
        StreamingTtfb.Series gatewaySeries = new StreamingTtfb.Series(viaGateway.label);
        for (int i = 0; i < options.streamRequests; i++) {
            // alternate which goes first so neither always follows the other
            if (i % 2 == 0) {
                directSeries.add(StreamingTtfb.once(client, directRequest, STREAM_TIMEOUT_MS));
                gatewaySeries.add(StreamingTtfb.once(client, gatewayRequest, STREAM_TIMEOUT_MS));
            } else {
                gatewaySeries.add(StreamingTtfb.once(client, gatewayRequest, STREAM_TIMEOUT_MS));
                directSeries.add(StreamingTtfb.once(client, directRequest, STREAM_TIMEOUT_MS));
            }
        }
        progress("  direct p50 %s ms, gateway p50 %s ms", ms(directSeries.ttfb.getValueAtPercentile(50)),
                ms(gatewaySeries.ttfb.getValueAtPercentile(50)));
        double others = CpuSample.now().othersShareSince(cpuBefore, Runtime.getRuntime().availableProcessors());
        return new StreamingResult(null, directSeries, gatewaySeries, others);
    }

    private static void checkOnce(HttpClient client, Target target, HttpRequest request) throws Exception {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(target.label + " answered HTTP " + response.statusCode() + ": " + response.body());
        }
    }

    // ---- the report ----------------------------------------------------------------------------------

    private static String report(Options options, String loadAtStart, List<OpenLoopLoad.Result> phases, StreamingResult streaming,
                                 List<ProcessMemory> memory) {
        StringBuilder md = new StringBuilder();
        md.append("## Gateway benchmark (").append(OffsetDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))).append(")\n\n");
        md.append("- Machine: ").append(machine()).append('\n');
        md.append("- Arguments: `").append(options.describe()).append("`\n");
        md.append("- Load average (1 / 5 / 15 min) when the benchmark started: ").append(loadAtStart).append('\n');
        md.append("- One JVM holds the load generator, the gateway and the sandbox upstream (started by exec:exec on the selected JDK); "
                + "all traffic is HTTP/1.1 keep-alive on 127.0.0.1.\n\n");

        PathTotals directTotals = new PathTotals("direct → sandbox");
        PathTotals gatewayTotals = new PathTotals("gateway → sandbox");
        for (OpenLoopLoad.Result r : phases) {
            (r.label().contains("direct") ? directTotals : gatewayTotals).add(r);
        }
        Histogram directAll = directTotals.latency;
        Histogram gatewayAll = gatewayTotals.latency;
        md.append("### Non-streaming: ").append(MODEL).append(", open loop at ").append(options.rate)
                .append(" req/s, ").append(options.rounds).append(" × ").append(options.seconds)
                .append(" s per path (A-B-B-A), after ").append(options.warmupSeconds)
                .append(" s warm-up per path\n\n");
        md.append("Latency in ms, from each request's scheduled send time to the last byte of its response. "
                + "JVM CPU is the CPU time of the whole JVM per answered request.\n\n");
        md.append("| Path | Requests | OK | Errors | Achieved req/s | p50 | p90 | p99 | p99.9 | max | JVM CPU µs/request |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        directTotals.appendRow(md);
        gatewayTotals.appendRow(md);
        md.append("| **added by the gateway** (difference of percentiles) | | | | ");
        for (double p : new double[] {50, 90, 99, 99.9}) {
            md.append("| ").append(signedMs(gatewayAll.getValueAtPercentile(p) - directAll.getValueAtPercentile(p))).append(' ');
        }
        md.append("| ").append(signedMs(gatewayAll.getMaxValue() - directAll.getMaxValue())).append(" | ")
                .append(directTotals.cpuMicrosPerRequest() < 0 || gatewayTotals.cpuMicrosPerRequest() < 0 ? "n/a"
                        : String.format(Locale.ROOT, "%+.0f", gatewayTotals.cpuMicrosPerRequest() - directTotals.cpuMicrosPerRequest()))
                .append(" |\n\n");
        long addedP99 = gatewayAll.getValueAtPercentile(99) - directAll.getValueAtPercentile(99);
        long addedP50 = gatewayAll.getValueAtPercentile(50) - directAll.getValueAtPercentile(50);
        md.append("**Added latency: p50 ").append(signedMs(addedP50)).append(" ms, p99 ").append(signedMs(addedP99))
                .append(" ms** (target: under 1 ms at p99 at 1,000 req/s: ")
                .append(options.rate >= 1000 ? (addedP99 < 1_000_000 ? "met" : "NOT met") : "not applicable below 1,000 req/s")
                .append(").\n\n");
        for (PathTotals t : List.of(directTotals, gatewayTotals)) {
            if (t.saturated(options.rate)) {
                md.append("**").append(t.label).append(" did not keep up with the offered ").append(options.rate)
                        .append(" req/s** (answered ").append(String.format(Locale.ROOT, "%.0f", t.achieved()))
                        .append(" req/s, ").append(t.errors).append(" requests failed or were not sent): its latencies "
                                + "are mostly queueing behind a saturated CPU, not per-request cost.\n\n");
            }
        }

        md.append("Per phase (drift check; send lag = how late the generator fired against its schedule; JIT ms = time "
                + "the JIT compilers spent during the phase, high while the JVM is still warming up):\n\n");
        md.append("| Phase | OK | Errors | p50 | p99 | p99.9 | max | send lag p99 | JVM CPU µs/request | JIT ms | GC ms | classes loaded | other processes' CPU |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<String, Long> allErrors = new LinkedHashMap<>();
        double maxOthers = -1;
        for (OpenLoopLoad.Result r : phases) {
            Histogram h = r.latency();
            md.append("| ").append(r.label()).append(" | ").append(r.ok()).append(" | ").append(r.errorCount())
                    .append(" | ").append(ms(h.getValueAtPercentile(50))).append(" | ").append(ms(h.getValueAtPercentile(99)))
                    .append(" | ").append(ms(h.getValueAtPercentile(99.9))).append(" | ").append(ms(h.getMaxValue()))
                    .append(" | ").append(ms(r.sendLag().getValueAtPercentile(99)))
                    .append(" | ").append(r.jvmCpuMicrosPerRequest() < 0 ? "n/a"
                            : String.format(Locale.ROOT, "%.0f", r.jvmCpuMicrosPerRequest()))
                    .append(" | ").append(r.jitMillis()).append(" | ").append(r.gcMillis()).append(" | ").append(r.classesLoaded())
                    .append(" | ").append(percent(r.othersCpuShare())).append(" |\n");
            maxOthers = Math.max(maxOthers, r.othersCpuShare());
            r.errors().forEach((kind, n) -> allErrors.merge(r.label() + ": " + kind, n, Long::sum));
        }
        md.append('\n');
        if (maxOthers > QUIET_SHARE) {
            md.append("**WARNING: other processes used up to ").append(percent(maxOthers))
                    .append(" of the machine's CPU during a phase; the latencies above include that contention "
                            + "and are not representative. Re-run on a quiet machine.**\n\n");
        }
        if (!allErrors.isEmpty()) {
            md.append("Errors:\n\n");
            allErrors.forEach((kind, n) -> md.append("- ").append(kind).append(": ").append(n).append('\n'));
            md.append('\n');
        }

        md.append("### Streaming: time to first content byte, ").append(MODEL).append(", `[sandbox:chunk_delay=")
                .append(options.chunkDelayMs).append("]`\n\n");
        if (streaming.skipped != null) {
            md.append("SKIPPED: ").append(streaming.skipped).append("\n\n");
        } else {
            md.append("From sending the request to the first `data:` line with non-empty `delta.content`, ")
                    .append(options.streamRequests).append(" sequential requests each way (alternating). ")
                    .append("The simulator's first event carries only the role, so content arrives one chunk delay ")
                    .append("after the response starts on both paths.\n\n");
            md.append("| Path | OK | Failed | TTFB p50 | TTFB p90 | TTFB p99 | TTFB max | whole stream p50 |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            appendTtfbRow(md, streaming.direct);
            appendTtfbRow(md, streaming.gateway);
            Histogram d = streaming.direct.ttfb;
            Histogram g = streaming.gateway.ttfb;
            md.append("| **added by the gateway** | | | ").append(signedMs(g.getValueAtPercentile(50) - d.getValueAtPercentile(50)))
                    .append(" | ").append(signedMs(g.getValueAtPercentile(90) - d.getValueAtPercentile(90)))
                    .append(" | ").append(signedMs(g.getValueAtPercentile(99) - d.getValueAtPercentile(99)))
                    .append(" | ").append(signedMs(g.getMaxValue() - d.getMaxValue()))
                    .append(" | ").append(signedMs(streaming.gateway.total.getValueAtPercentile(50)
                            - streaming.direct.total.getValueAtPercentile(50))).append(" |\n\n");
            long gap = g.getValueAtPercentile(50) - d.getValueAtPercentile(50);
            long directSpan = streaming.direct.total.getValueAtPercentile(50) - d.getValueAtPercentile(50);
            if (directSpan > 0 && gap > directSpan / 2) {
                md.append("**The gateway's first content arrives ").append(ms(gap)).append(" ms late, close to the ")
                        .append(ms(directSpan)).append(" ms the upstream takes from its first content to its end: "
                                + "events are being held back rather than relayed as they arrive.**\n\n");
            }
            md.append("Other processes used ").append(percent(streaming.othersCpuShare))
                    .append(" of the machine's CPU meanwhile.\n\n");
            for (StreamingTtfb.Series s : List.of(streaming.direct, streaming.gateway)) {
                if (s.lastFailure != null) {
                    md.append("- last failure, ").append(s.label).append(": ").append(s.lastFailure).append('\n');
                }
            }
        }

        md.append("### Memory (whole JVM)\n\n");
        md.append("Heap used is measured after a full GC. RSS is VmRSS from /proc/self/status; peak is VmHWM.\n\n");
        md.append("| When | Heap used after GC | Heap committed | Non-heap used | RSS | Peak RSS | Threads |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (ProcessMemory m : memory) {
            md.append("| ").append(m.label()).append(" | ").append(mib(m.heapUsed())).append(" | ")
                    .append(mib(m.heapCommitted())).append(" | ").append(mib(m.nonHeapUsed())).append(" | ")
                    .append(kibToMib(m.rssKb())).append(" | ").append(kibToMib(m.peakRssKb())).append(" | ")
                    .append(m.threads()).append(" |\n");
        }
        ProcessMemory first = memory.get(0);
        ProcessMemory last = memory.get(memory.size() - 1);
        md.append("\nGrowth from entry to after the load (sandbox + gateway + load generator, Maven excluded): heap ")
                .append(mib(last.heapUsed() - first.heapUsed())).append(", RSS ")
                .append(kibToMib(last.rssKb() - first.rssKb())).append(".\n");
        return md.toString();
    }

    /** One path's phases added up. */
    private static final class PathTotals {
        final String label;
        final Histogram latency = OpenLoopLoad.newHistogram();
        long due;
        long ok;
        long errors;
        double rateSum;
        int phases;
        double cpuMillis;

        PathTotals(String label) {
            this.label = label;
        }

        void add(OpenLoopLoad.Result r) {
            latency.add(r.latency());
            due += r.due();
            ok += r.ok();
            errors += r.errorCount();
            rateSum += r.achievedPerSecond();
            phases++;
            cpuMillis = cpuMillis < 0 || r.jvmCpuMillis() < 0 ? -1 : cpuMillis + r.jvmCpuMillis();
        }

        double achieved() {
            return phases == 0 ? 0 : rateSum / phases;
        }

        double cpuMicrosPerRequest() {
            return cpuMillis < 0 || ok == 0 ? -1 : cpuMillis * 1000 / ok;
        }

        /** Answered under 98 % of the offered rate, or lost more than 1 % of the requests. */
        boolean saturated(int rate) {
            return phases > 0 && (achieved() < rate * 0.98 || errors > due / 100);
        }

        void appendRow(StringBuilder md) {
            Histogram h = latency;
            md.append("| ").append(label).append(" | ").append(due).append(" | ").append(ok).append(" | ")
                    .append(errors).append(" | ").append(String.format(Locale.ROOT, "%.1f", achieved())).append(" | ")
                    .append(ms(h.getValueAtPercentile(50))).append(" | ").append(ms(h.getValueAtPercentile(90))).append(" | ")
                    .append(ms(h.getValueAtPercentile(99))).append(" | ").append(ms(h.getValueAtPercentile(99.9))).append(" | ")
                    .append(ms(h.getMaxValue())).append(" | ")
                    .append(cpuMicrosPerRequest() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", cpuMicrosPerRequest()))
                    .append(" |\n");
        }
    }

    private static void appendTtfbRow(StringBuilder md, StreamingTtfb.Series s) {
        Histogram h = s.ttfb;
        md.append("| ").append(s.label).append(" | ").append(s.ok).append(" | ").append(s.failed).append(" | ")
                .append(ms(h.getValueAtPercentile(50))).append(" | ").append(ms(h.getValueAtPercentile(90))).append(" | ")
                .append(ms(h.getValueAtPercentile(99))).append(" | ").append(ms(h.getMaxValue())).append(" | ")
                .append(ms(s.total.getValueAtPercentile(50))).append(" |\n");
    }

    private static String machine() {
        Runtime rt = Runtime.getRuntime();
        List<String> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        return rt.availableProcessors() + " cores (" + cpuModel() + "), " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", max heap "
                + mib(rt.maxMemory()) + ", GC: " + String.join(" + ", gcs);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
        return "unknown CPU";
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** Removes the H2 files of an earlier run (a handful of files, never anything outside target/bench-db). */
    private static void deleteBenchDatabase() {
        if (!Files.isDirectory(H2_DIR)) {
            return;
        }
        try (var files = Files.list(H2_DIR)) {
            for (Path f : files.limit(100).toList()) {
                if (f.getFileName().toString().startsWith("gateway.")) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            System.out.println("[bench] could not clean " + H2_DIR + ": " + e.getMessage());
        }
    }

    private static String percent(double share) {
        return share < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static String signedMs(long nanos) {
        return String.format(Locale.ROOT, "%+.3f", nanos / 1e6);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String kibToMib(long kib) {
        return kib == -1 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
    }

    private static void progress(String format, Object... args) {
        System.out.println("[bench] " + String.format(Locale.ROOT, format, args));
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "bench-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The same OpenAI-format body serves both paths: the gateway's API is OpenAI-compatible. */
    private static String chatBody(String userText, boolean stream, Integer maxTokens) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + userText + "\"}]"
                + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    private record Target(String label, String url, String bearer) {
        HttpRequest request(String body) {
            return HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMillis(REQUEST_TIMEOUT_MS))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + bearer)
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
        }
    }

    private record StreamingResult(String skipped, StreamingTtfb.Series direct, StreamingTtfb.Series gateway,
                                   double othersCpuShare) {
        static StreamingResult skipped(String why) {
            return new StreamingResult(why, null, null, -1);
        }
    }

    /** Command-line options, each bounded so a typo cannot start an endless or runaway run. */
    static final class Options {
        int rate = 1000;
        int seconds = 20;
        // Measured on 2 cores: the JIT keeps compiling the gateway's path for about two minutes of load
        // (the JIT ms column); with 5 or 20 s of warm-up the measured rounds were dominated by compilation.
        int warmupSeconds = 60;
        int rounds = 2;
        int maxInFlight = 512;
        int streamRequests = 200;
        int chunkDelayMs = 20;
        int streamMaxTokens = 6;
        int clientThreads = 2;
        String databaseUrl;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if ("--help".equals(name) || "-h".equals(name)) {
                    System.out.println("options: --rate N (req/s, 1-20000) --seconds N (per phase, 1-600) --warmup N (per path, 0-600, default 60)"
                            + " --rounds N (1-10) --max-in-flight N (1-10000) --stream-requests N (0-5000)"
                            + " --chunk-delay MS (0-1000) --stream-max-tokens N (1-100) --client-threads N (1-64)"
                            + " --database-url URL (default: an H2 file database under target/bench-db)");
                    System.exit(0);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value after " + name);
                }
                if ("--database-url".equals(name)) {
                    o.databaseUrl = args[++i];
                    continue;
                }
                String value = args[++i];
                switch (name) {
                    case "--rate" -> o.rate = bounded(name, value, 1, 20_000);
                    case "--seconds" -> o.seconds = bounded(name, value, 1, 600);
                    case "--warmup" -> o.warmupSeconds = bounded(name, value, 0, 600);
                    case "--rounds" -> o.rounds = bounded(name, value, 1, 10);
                    case "--max-in-flight" -> o.maxInFlight = bounded(name, value, 1, 10_000);
                    case "--stream-requests" -> o.streamRequests = bounded(name, value, 0, 5000);
                    case "--chunk-delay" -> o.chunkDelayMs = bounded(name, value, 0, 1000);
                    case "--stream-max-tokens" -> o.streamMaxTokens = bounded(name, value, 1, 100);
                    case "--client-threads" -> o.clientThreads = bounded(name, value, 1, 64);
                    default -> throw new IllegalArgumentException("unknown option " + name + " (try --help)");
                }
            }
            return o;
        }

        private static int bounded(String name, String value, int min, int max) {
            int v;
            try {
                v = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " needs a number, got '" + value + "'");
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + v);
            }
            return v;
        }

        String describe() {
            return "--rate " + rate + " --seconds " + seconds + " --warmup " + warmupSeconds + " --rounds " + rounds
                    + " --max-in-flight " + maxInFlight + " --stream-requests " + streamRequests + " --chunk-delay "
                    + chunkDelayMs + " --stream-max-tokens " + streamMaxTokens + " --client-threads " + clientThreads
                    + (databaseUrl == null ? "" : " --database-url <given>");
        }
    }
}
