import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * bench/run.sh's engine: starts a mock upstream (here, on the load CPUs), the gateway (pinned to its
 * own CPU, as the README runs it) and, when node and the shared floor proxy are there, the bare-proxy
 * floor; then runs direct-vs-gateway(-vs-floor) closed-loop steps with wrk at each connection count,
 * a streaming time-to-first-token probe, and prints the table of the performance issue plus a JSON file.
 * With --profile it instead records async-profiler CPU, wall-clock and allocation profiles of the
 * gateway at the lowest and highest connection counts.
 */
public final class GatewayBench {
    static final String MASTER_KEY = "sk-bench-master";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final BenchOptions o;
    private final Path dir;
    private final List<String> loadPin = new ArrayList<>();
    private final List<String> gwPin = new ArrayList<>();
    private final Map<String, Object> meta = new LinkedHashMap<>();

    private GatewayBench(BenchOptions o, Path dir) {
        this.o = o;
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        BenchOptions o = BenchOptions.parse(args);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
        Path dir = o.out.resolve(stamp + "-" + o.label + (o.profile ? "-profile" : "")).toAbsolutePath();
        Files.createDirectories(dir);
        new GatewayBench(o, dir).run();
    }

    /** A started server process (gateway or floor) and what it took to start. */
    record Server(String name, Process process, String url, double startSeconds, long rssIdleKb) {
        long pid() {
            return process.pid();
        }
    }

    /** One measured load step. */
    record Step(int rep, int conns, String target, WrkLoad.Result wrk, double serverCpuSeconds, double serverCpuSecondsWithoutJit, long switches,
                Map<String, Long> switchesByThread, Map<String, Double> cpuSecondsByThread, double otherCores, long rssKb) {}

    private void run() throws Exception {
        placement();
        Path body = dir.resolve("body.json");
        Path streamBody = dir.resolve("stream-body.json");
        Files.writeString(body, chatBody(false));
        Files.writeString(streamBody, chatBody(true));
        log("results in " + dir);
        try (MockUpstream mock = new MockUpstream(0, o.chunkDelayMs)) {
            String mockUrl = "http://127.0.0.1:" + mock.port();
            if (o.gwCmd.isBlank()) {
                primeStartCache(mockUrl);
            }
            Server gateway = startGateway(mockUrl);
            Server floor = null;
            try {
                Path keys = apiKeys(gateway);
                smoke(mock, mockUrl, gateway, body, keys);
                WrkLoad wrk = new WrkLoad(o.repo.resolve("bench/wrk-post.lua"), loadPin);
                if (o.profile) {
                    profile(wrk, gateway, body, keys);
                    return;
                }
                floor = startFloor(mockUrl);
                int maxConns = o.conns.stream().mapToInt(Integer::intValue).max().orElse(64);
                log("pre-warm " + o.prewarm + " s each at " + maxConns + " connections (not recorded)");
                wrk.run(gateway.url(), body, keys, maxConns, o.prewarm);
                wrk.run(mockUrl + "/v1/chat/completions", body, null, maxConns, Math.max(3, o.prewarm / 4));
                if (floor != null) {
                    wrk.run(floor.url(), body, null, maxConns, Math.max(3, o.prewarm / 2));
                }
                List<Step> steps = steps(wrk, mockUrl, gateway, floor, body, keys);
                log("streaming: time to first token, " + o.streamRequests + " requests each way");
                StreamProbe.Result[] ttft = new StreamProbe().run(mockUrl + "/v1/chat/completions", gatewayBase(gateway)
                        + "/api/v1/chat/completions", firstKey(keys), Files.readString(streamBody), o.streamRequests);
                long gwPeak = ProcStats.memoryKb(gateway.pid(), "VmHWM");
                long floorPeak = floor == null ? 0 : ProcStats.memoryKb(floor.pid(), "VmHWM");
                meta.put("finished_utc", Instant.now().toString());
                BenchReport report = new BenchReport(o, meta, steps, gateway, gwPeak, floor, floorPeak, ttft);
                String table = report.table();
                System.out.println(table);
                Files.writeString(dir.resolve("summary.md"), table);
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("summary.json").toFile(), report.json());
                Files.copy(dir.resolve("summary.json"), o.out.toAbsolutePath().resolve(o.label + "-latest.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                log("summary: " + dir.resolve("summary.json") + " (also " + o.out.resolve(o.label + "-latest.json") + ")");
            } finally {
                stop(floor);
                stop(gateway);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // placement and processes

    private void placement() throws IOException, InterruptedException {
        int n = Runtime.getRuntime().availableProcessors();
        int cpus = Integer.parseInt(new String(new ProcessBuilder("nproc", "--all").start().getInputStream().readAllBytes()).trim());
        String load = null;
        String gw = null;
        if ("auto".equals(o.pin)) {
            if (cpus >= 2 && onPath("taskset")) {
                gw = Integer.toString(cpus - 1);
                load = cpus == 2 ? "0" : "0-" + (cpus - 2);
            }
        } else if (o.pin.contains(":")) {
            load = o.pin.substring(0, o.pin.indexOf(':'));
            gw = o.pin.substring(o.pin.indexOf(':') + 1);
        }
        if (gw != null) {
            loadPin.addAll(List.of("taskset", "-c", load));
            gwPin.addAll(List.of("taskset", "-c", gw));
            // This JVM (the mock upstream, the stream probe) stays off the gateway's CPU too.
            new ProcessBuilder("taskset", "-a", "-p", "-c", load, Long.toString(ProcessHandle.current().pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
        meta.put("started_utc", Instant.now().toString());
        meta.put("cpu_model", cpuModel());
        meta.put("nproc", cpus);
        meta.put("bench_jvm_cpus", n);
        meta.put("gateway_cpus", gw == null ? "any" : gw);
        meta.put("load_cpus", load == null ? "any" : load);
        meta.put("kernel", System.getProperty("os.version"));
        meta.put("commit", git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain").isBlank() ? "" : "+dirty"));
        log("gateway on CPU " + meta.get("gateway_cpus") + ", wrk + mock on " + meta.get("load_cpus"));
    }

    private Server startGateway(String mockUrl) throws Exception {
        int port = freePort();
        Map<String, String> env = new TreeMap<>();
        env.put("OPENAI_BASE_URL", mockUrl + "/v1");
        env.put("OPENAI_API_KEY", "sk-mock-upstream");
        env.put("GATEWAY_MASTER_KEY", MASTER_KEY);
        env.put("GATEWAY_SANDBOX", "false");
        env.put("UNIFIED_GATEWAY_HOST", "127.0.0.1");
        env.put("UNIFIED_GATEWAY_PORT", Integer.toString(port));
        env.put("DATABASE_URL", databaseUrl());
        // The same temperature-0 request again and again would be answered from the response cache:
        // off, so every request measures the way to the upstream and back (--env turns it on).
        env.put("GATEWAY_CACHE_ENABLED", "false");
        env.putAll(o.env);
        List<String> cmd = new ArrayList<>(gwPin);
        if (o.gwCmd.isBlank()) {
            // As the README runs it: bin/gateway's JVM flags and start-up cache, plus --java-opts.
            cmd.add("bin/gateway");
            env.put("JAVA_OPTS", o.javaOpts);
        } else {
            cmd.addAll(List.of("bash", "-c", "exec " + o.gwCmd));
        }
        meta.put("gateway_cmd", String.join(" ", cmd));
        meta.put("gateway_env", env.entrySet().stream().filter(e -> !e.getKey().contains("KEY"))
                .map(e -> e.getKey() + "=" + e.getValue()).toList());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(o.repo.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("gateway.log").toFile());
        pb.environment().putAll(env);
        String url = "http://127.0.0.1:" + port + "/api/v1/chat/completions";
        long t0 = System.nanoTime();
        Process p = pb.start();
        log("gateway pid " + p.pid() + ": " + String.join(" ", cmd));
        // Start time: launch to the first answered chat completion.
        String probe = chatBody(false);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the gateway exited; see " + dir.resolve("gateway.log"));
            }
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(120)) {
                p.destroyForcibly();
                throw new IllegalStateException("the gateway did not answer within 120 s; see " + dir.resolve("gateway.log"));
            }
            if (post(url, MASTER_KEY, probe) == 200) {
                break;
            }
            Thread.sleep(20);
        }
        double start = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(2000);
        long rss = ProcStats.memoryKb(p.pid(), "VmRSS");
        log(String.format("gateway answered %.2f s after launch; RSS %d MB after one request", start, rss / 1024));
        meta.put("java_version", javaVersion(p.pid()));
        return new Server("gateway", p, url, start, rss);
    }

    private Server startFloor(String mockUrl) throws Exception {
        Path proxy = o.floorDir.resolve("ref-proxy.mjs");
        if (!o.floor || !Files.isRegularFile(proxy) || !onPath("node")) {
            log("floor proxy skipped (" + (!o.floor ? "--no-floor" : !onPath("node") ? "node not found" : proxy + " not found") + ")");
            return null;
        }
        int port = freePort();
        List<String> cmd = new ArrayList<>(gwPin);
        cmd.addAll(List.of("node", proxy.toString(), "--port", Integer.toString(port), "--upstream", mockUrl, "--mode", "json"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("floor.log").toFile()).start();
        String url = "http://127.0.0.1:" + port + "/v1/chat/completions";
        long t0 = System.nanoTime();
        while (post(url, null, chatBody(false)) != 200) {
            if (!p.isAlive() || System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(30)) {
                p.destroyForcibly();
                log("floor proxy did not start; see " + dir.resolve("floor.log"));
                return null;
            }
            Thread.sleep(50);
        }
        double start = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(1000);
        log("floor proxy (node ref-proxy.mjs --mode json) pid " + p.pid());
        return new Server("floor", p, url, start, ProcStats.memoryKb(p.pid(), "VmRSS"));
    }

    /**
     * The first run of a freshly built jar records bin/gateway's start-up cache and writes it as it
     * stops; a user starts the gateway more than once, so the start measured is a later one.
     */
    private void primeStartCache(String mockUrl) throws Exception {
        Server first = startGateway(mockUrl);
        first.process().destroy();
        if (!first.process().waitFor(180, TimeUnit.SECONDS)) {
            first.process().destroyForcibly();
        }
        log(String.format("first start after the build (records the start-up cache): %.2f s", first.startSeconds()));
    }

    private void stop(Server s) throws InterruptedException {
        if (s == null || !s.process().isAlive()) {
            return;
        }
        s.process().destroy();
        if (!s.process().waitFor(20, TimeUnit.SECONDS)) {
            s.process().destroyForcibly();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // data: bodies, keys, database

    private String chatBody(boolean stream) {
        String probe = "Benchmark probe: reply with one short greeting, thanks. 0123456789";
        String system = "You are terse.";
        StringBuilder user = new StringBuilder(probe);
        // --prompt-scale N: the same request with N times the text (system prompt and user turn).
        for (int i = 1; i < o.promptScale; i++) {
            user.append(' ').append(probe);
            system = system + " You are terse.";
        }
        for (int i = 1; i < o.promptScale; i++) {
            system = system + " Answer in one line, plainly, and never apologise.";
        }
        return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},"
                + "{\"role\":\"user\",\"content\":\"" + user + "\"}],\"max_tokens\":32,\"temperature\":0"
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    /** The keys file wrk rotates through: the master key, or --keys N keys made through the keys API. */
    private Path apiKeys(Server gateway) throws Exception {
        Path file = dir.resolve("keys.txt");
        List<String> keys = new ArrayList<>();
        if (o.keys == 0) {
            keys.add(MASTER_KEY);
        } else {
            log("creating " + o.keys + " API keys through POST /api/v1/keys");
            ObjectMapper json = new ObjectMapper();
            String url = gatewayBase(gateway) + "/api/v1/keys";
            for (int i = 0; i < o.keys; i++) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                        .header("Authorization", "Bearer " + MASTER_KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-" + i + "\",\"tier\":\"enterprise\","
                                + "\"user_id\":\"bench-user-" + (i % 50) + "\",\"project_id\":\"bench-project-" + (i % 10) + "\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                JsonNode node = json.readTree(r.body());
                if (r.statusCode() != 201 || !node.hasNonNull("key")) {
                    throw new IllegalStateException("creating a key failed: HTTP " + r.statusCode() + " " + r.body());
                }
                keys.add(node.get("key").asText());
            }
        }
        Files.write(file, keys);
        meta.put("api_keys", keys.size());
        return file;
    }

    private String databaseUrl() throws SQLException {
        if (!o.databaseUrl.isBlank()) {
            meta.put("request_log", "database given with --database-url");
            return o.databaseUrl;
        }
        if (o.postgres) {
            // A fresh database each run, so the request-log table starts empty as H2's does.
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS llm_gateway_bench");
                s.execute("CREATE DATABASE llm_gateway_bench");
            }
            meta.put("request_log", "PostgreSQL 127.0.0.1:5432/llm_gateway_bench");
            return "postgresql://postgres@127.0.0.1:5432/llm_gateway_bench";
        }
        meta.put("request_log", "H2 file database (the default), fresh under the results folder");
        return "jdbc:h2:file:" + dir.resolve("h2/gateway") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
    }

    private static String firstKey(Path keys) throws IOException {
        return Files.readAllLines(keys).get(0);
    }

    private static String gatewayBase(Server s) {
        return s.url().substring(0, s.url().indexOf("/api/"));
    }

    // ---------------------------------------------------------------------------------------------
    // measuring

    /** Both paths answer, and the gateway really reaches the mock. */
    private void smoke(MockUpstream mock, String mockUrl, Server gateway, Path body, Path keys) throws Exception {
        long before = mock.served.get();
        int gw = post(gateway.url(), firstKey(keys), Files.readString(body));
        long forwarded = mock.served.get() - before;
        int direct = post(mockUrl + "/v1/chat/completions", null, Files.readString(body));
        if (gw != 200 || direct != 200 || forwarded != 1) {
            throw new IllegalStateException("smoke test failed: gateway HTTP " + gw + ", direct HTTP " + direct
                    + ", mock saw " + forwarded + " request(s) from the gateway; see " + dir.resolve("gateway.log"));
        }
    }

    private List<Step> steps(WrkLoad wrk, String mockUrl, Server gateway, Server floor, Path body, Path keys) throws Exception {
        List<String> targets = new ArrayList<>(List.of("direct", "gateway"));
        if (floor != null) {
            targets.add("floor");
        }
        int total = o.reps * o.conns.size() * targets.size();
        List<Step> steps = new ArrayList<>();
        for (int rep = 1; rep <= o.reps; rep++) {
            for (int c : o.conns) {
                List<String> order = new ArrayList<>(targets);
                if (rep % 2 == 0) {
                    java.util.Collections.reverse(order);
                }
                for (String target : order) {
                    Server server = "gateway".equals(target) ? gateway : "floor".equals(target) ? floor : null;
                    String url = server == null ? mockUrl + "/v1/chat/completions" : server.url();
                    Path k = "gateway".equals(target) ? keys : null;
                    if (o.warmup > 0) {
                        wrk.run(url, body, k, c, o.warmup);
                    }
                    double cpu0 = server == null ? 0 : ProcStats.cpuSeconds(server.pid());
                    double noJit0 = server == null ? 0 : ProcStats.cpuSecondsWithoutJit(server.pid());
                    Map<String, Double> byThread0 = server == null ? Map.of() : ProcStats.cpuSecondsByThreadGroup(server.pid());
                    Map<String, Long> sw0 = server == null ? Map.of() : ProcStats.switchesByThreadGroup(server.pid());
                    long[] m0 = ProcStats.machineJiffies();
                    double own0 = ProcStats.selfCpuSeconds() + ProcStats.childrenCpuSeconds() + serversCpu(gateway, floor);
                    WrkLoad.Result r = wrk.run(url, body, k, c, o.duration);
                    long[] m1 = ProcStats.machineJiffies();
                    double own1 = ProcStats.selfCpuSeconds() + ProcStats.childrenCpuSeconds() + serversCpu(gateway, floor);
                    double cpu1 = server == null ? 0 : ProcStats.cpuSeconds(server.pid());
                    double noJit1 = server == null ? 0 : ProcStats.cpuSecondsWithoutJit(server.pid());
                    Map<String, Double> byThread = new TreeMap<>();
                    if (server != null) {
                        ProcStats.cpuSecondsByThreadGroup(server.pid()).forEach((name, v) -> {
                            double d = v - byThread0.getOrDefault(name, 0.0);
                            if (d > 0) {
                                byThread.put(name, d);
                            }
                        });
                    }
                    Map<String, Long> sw1 = server == null ? Map.of() : ProcStats.switchesByThreadGroup(server.pid());
                    Map<String, Long> sw = new TreeMap<>();
                    sw1.forEach((name, n) -> {
                        long d = n - sw0.getOrDefault(name, 0L);
                        if (d > 0) {
                            sw.put(name, d);
                        }
                    });
                    long switches = sw.values().stream().mapToLong(Long::longValue).sum();
                    // Cores used by anything else on the machine during the step (other builds, tests).
                    int ncpu = (int) meta.get("nproc");
                    double busyCores = m1[1] == m0[1] ? 0 : (double) (m1[0] - m0[0]) / (m1[1] - m0[1]) * ncpu;
                    // (the gateway may still be compiling while the direct path is measured: ours too)
                    double other = Math.max(0, busyCores - (own1 - own0) / r.seconds());
                    long rss = server == null ? 0 : ProcStats.memoryKb(server.pid(), "VmRSS");
                    Step s = new Step(rep, c, target, r, cpu1 - cpu0, noJit1 - noJit0, switches, sw, byThread, other, rss);
                    steps.add(s);
                    log(String.format("step %d/%d rep %d c=%d %-7s %7.0f req/s p50 %.3f ms p99 %.3f ms errors %d%s%s",
                            steps.size(), total, rep, c, target, r.rps(), r.p50() / 1000.0, r.p99() / 1000.0, r.errors(),
                            server == null ? "" : String.format(" cpu %.0f µs/req (%.0f without JIT), %.1f switches/req",
                                    1e6 * s.serverCpuSeconds() / Math.max(1, r.requests()),
                                    1e6 * s.serverCpuSecondsWithoutJit() / Math.max(1, r.requests()), (double) switches / Math.max(1, r.requests())),
                            String.format(" (other work %.2f cores%s)", other, other > BenchReport.NOISY_CORES ? ", NOISY" : "")));
                }
            }
        }
        return steps;
    }

    private static double serversCpu(Server gateway, Server floor) {
        return ProcStats.cpuSeconds(gateway.pid()) + (floor == null ? 0 : ProcStats.cpuSeconds(floor.pid()));
    }

    /** async-profiler CPU, wall-clock and allocation profiles at the lowest and highest connection counts. */
    private void profile(WrkLoad wrk, Server gateway, Path body, Path keys) throws Exception {
        if (o.asyncProfilerJar == null || !Files.isRegularFile(o.asyncProfilerJar)) {
            throw new IllegalStateException("--profile needs --async-profiler-jar (bench/run.sh fetches it)");
        }
        Profiler profiler = new Profiler(o.asyncProfilerJar, dir, gateway.pid());
        int lo = o.conns.stream().mapToInt(Integer::intValue).min().orElse(1);
        int hi = o.conns.stream().mapToInt(Integer::intValue).max().orElse(64);
        log("pre-warm " + o.prewarm + " s at " + hi + " connections");
        wrk.run(gateway.url(), body, keys, hi, o.prewarm);
        StringBuilder md = new StringBuilder("# Gateway profile, " + meta.get("started_utc") + ", commit " + meta.get("commit") + "\n\n");
        Map<String, Object> json = new LinkedHashMap<>(meta);
        for (int c : lo == hi ? List.of(lo) : List.of(lo, hi)) {
            for (String event : List.of("cpu", "wall", "alloc")) {
                double cpu0 = ProcStats.cpuSeconds(gateway.pid());
                double noJit0 = ProcStats.cpuSecondsWithoutJit(gateway.pid());
                Map<String, Long> sw0 = ProcStats.switchesByThreadGroup(gateway.pid());
                profiler.start(event);
                WrkLoad.Result r = wrk.run(gateway.url(), body, keys, c, o.profileSeconds);
                Path collapsed = profiler.stop(dir, event + "-c" + c, "alloc".equals(event));
                double cpu = ProcStats.cpuSeconds(gateway.pid()) - cpu0;
                double noJit = ProcStats.cpuSecondsWithoutJit(gateway.pid()) - noJit0;
                Map<String, Long> sw1 = ProcStats.switchesByThreadGroup(gateway.pid());
                Map<String, Double> switches = new LinkedHashMap<>();
                sw1.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - sw0.getOrDefault(e.getKey(), 0L)))
                        .filter(e -> e.getValue() >= r.requests() / 100).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .forEach(e -> switches.put(e.getKey(), Math.round(100.0 * e.getValue() / r.requests()) / 100.0));
                switches.put("total", Math.round(100.0 * (sw1.values().stream().mapToLong(Long::longValue).sum()
                        - sw0.values().stream().mapToLong(Long::longValue).sum()) / r.requests()) / 100.0);
                Profiler.Summary s = Profiler.summarize(collapsed, "alloc".equals(event));
                Map<String, Object> one = new LinkedHashMap<>();
                String head = String.format("## %s, %d connection(s): %.0f req/s, %.0f µs CPU/request (%.0f without JIT), p50 %.3f ms%s",
                        event, c, r.rps(), 1e6 * cpu / r.requests(), 1e6 * noJit / r.requests(), r.p50() / 1000.0,
                        "alloc".equals(event) ? String.format(", ~%.1f KB allocated/request (sampled)", s.total() / 1024.0 / r.requests()) : "");
                md.append(head).append("\n\n");
                section(md, "by thread group (% of samples)", s.byThreadGroup());
                md.append(String.format("JIT compiler threads: %.1f%% of samples; the shares below leave them out.%n%n", s.jitPercent()));
                section(md, "by owning library (first known frame from the leaf)", s.byOwner());
                section(md, "anywhere in the stack (overlapping)", s.inclusive());
                section(md, "top frames (leaf" + ("alloc".equals(event) ? " type <- first non-JDK frame" : "") + ")", s.topFrames());
                if ("wall".equals(event)) {
                    Map<String, Double> wall = Profiler.wallPerRequest(collapsed, 2.0, r.requests());
                    section(md, "wall-clock ms per request of threads at work (idle waits left out), by thread and activity", wall);
                    one.put("wall_ms_per_request", wall);
                }
                section(md, "context switches per request, by thread group", switches);
                one.put("rps", r.rps());
                one.put("cpu_us_per_request", 1e6 * cpu / r.requests());
                one.put("cpu_us_per_request_without_jit", 1e6 * noJit / r.requests());
                one.put("p50_ms", r.p50() / 1000.0);
                one.put("summary", s);
                one.put("switches_per_request", switches);
                json.put(event + "_c" + c, one);
                log(head);
            }
        }
        Files.writeString(dir.resolve("profile.md"), md);
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("profile.json").toFile(), json);
        System.out.println(md);
        log("profile: " + dir.resolve("profile.md") + ", flame graphs: " + dir + "/*.html");
    }

    private static void section(StringBuilder md, String title, Map<String, Double> shares) {
        md.append("### ").append(title).append("\n\n");
        shares.forEach((k, v) -> md.append(String.format("- %5.1f  %s%n", v, k)));
        md.append('\n');
    }

    // ---------------------------------------------------------------------------------------------
    // small helpers

    private static int post(String url, String key, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            if (key != null) {
                b.header("Authorization", "Bearer " + key);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private String git(String... args) {
        try {
            List<String> cmd = new ArrayList<>(List.of("git", "-C", o.repo.toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : "?";
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String javaVersion(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().command()).map(cmd -> {
            try {
                Process p = new ProcessBuilder(cmd, "-version").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                return out.lines().findFirst().orElse("?");
            } catch (IOException e) {
                return "?";
            }
        }).orElse("?");
    }

    static void log(String msg) {
        System.err.println("[" + DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC).format(Instant.now()) + "] " + msg);
    }
}
