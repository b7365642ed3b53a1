import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The performance issue's table from the measured steps — medians over repetitions, "added" as
 * gateway minus direct within the same repetition — and the same figures as JSON.
 */
final class BenchReport {
    /** A step during which other work used more than this many cores is flagged noisy. */
    static final double NOISY_CORES = 0.25;

    private final BenchOptions o;
    private final Map<String, Object> meta;
    private final List<GatewayBench.Step> steps;
    private final GatewayBench.Server gateway;
    private final long gwPeakKb;
    private final GatewayBench.Server floor;
    private final long floorPeakKb;
    private final StreamProbe.Result[] ttft;

    BenchReport(BenchOptions o, Map<String, Object> meta, List<GatewayBench.Step> steps, GatewayBench.Server gateway,
                long gwPeakKb, GatewayBench.Server floor, long floorPeakKb, StreamProbe.Result[] ttft) {
        this.o = o;
        this.meta = meta;
        this.steps = steps;
        this.gateway = gateway;
        this.gwPeakKb = gwPeakKb;
        this.floor = floor;
        this.floorPeakKb = floorPeakKb;
        this.ttft = ttft;
    }

    /** Per connection count and target: medians over repetitions. */
    record Level(int conns, String target, double rps, double p50Ms, double p99Ms, double addedP50Ms, double addedP99Ms,
                 double cpuUsPerRequest, double cpuUsPerRequestWithoutJit, double switchesPerRequest, Map<String, Double> switchesByThread,
                 Map<String, Double> cpuUsByThread, long errors) {}

    List<Level> levels() {
        List<Level> out = new ArrayList<>();
        for (int c : o.conns) {
            for (String target : List.of("direct", "gateway", "floor")) {
                List<GatewayBench.Step> mine = steps.stream().filter(s -> s.conns() == c && s.target().equals(target)).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                List<Double> added50 = new ArrayList<>();
                List<Double> added99 = new ArrayList<>();
                for (GatewayBench.Step s : mine) {
                    steps.stream().filter(d -> d.conns() == c && d.rep() == s.rep() && d.target().equals("direct")).findFirst()
                            .ifPresent(d -> {
                                added50.add((s.wrk().p50() - d.wrk().p50()) / 1000.0);
                                added99.add((s.wrk().p99() - d.wrk().p99()) / 1000.0);
                            });
                }
                long requests = mine.stream().mapToLong(s -> s.wrk().requests()).sum();
                double cpu = mine.stream().mapToDouble(GatewayBench.Step::serverCpuSeconds).sum();
                double noJit = mine.stream().mapToDouble(GatewayBench.Step::serverCpuSecondsWithoutJit).sum();
                long switches = mine.stream().mapToLong(GatewayBench.Step::switches).sum();
                Map<String, Long> byThread = new TreeMap<>();
                mine.forEach(s -> s.switchesByThread().forEach((k, v) -> byThread.merge(k, v, Long::sum)));
                Map<String, Double> perRequest = new LinkedHashMap<>();
                byThread.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .forEach(e -> perRequest.put(e.getKey(), round(2, (double) e.getValue() / Math.max(1, requests))));
                Map<String, Double> cpuByThread = new TreeMap<>();
                mine.forEach(s -> s.cpuSecondsByThread().forEach((k, v) -> cpuByThread.merge(k, v, Double::sum)));
                Map<String, Double> cpuPerRequest = new LinkedHashMap<>();
                cpuByThread.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                        .forEach(e -> cpuPerRequest.put(e.getKey(), round(0, 1e6 * e.getValue() / Math.max(1, requests))));
                out.add(new Level(c, target,
                        median(mine.stream().map(s -> s.wrk().rps()).toList()),
                        median(mine.stream().map(s -> s.wrk().p50() / 1000.0).toList()),
                        median(mine.stream().map(s -> s.wrk().p99() / 1000.0).toList()),
                        target.equals("direct") ? 0 : median(added50), target.equals("direct") ? 0 : median(added99),
                        target.equals("direct") ? 0 : 1e6 * cpu / Math.max(1, requests),
                        target.equals("direct") ? 0 : 1e6 * noJit / Math.max(1, requests),
                        target.equals("direct") ? 0 : (double) switches / Math.max(1, requests), perRequest, cpuPerRequest,
                        mine.stream().mapToLong(s -> s.wrk().errors()).sum()));
            }
        }
        return out;
    }

    String table() {
        List<Level> levels = levels();
        StringBuilder t = new StringBuilder();
        t.append(String.format("%nGateway overhead, %s, commit %s%n", meta.get("finished_utc"), meta.get("commit")));
        t.append(String.format("Machine: %s, %s CPUs; gateway pinned to CPU %s (%s), wrk + mock upstream (0 ms) on %s%n",
                meta.get("cpu_model"), meta.get("nproc"), meta.get("gateway_cpus"), meta.get("java_version"), meta.get("load_cpus")));
        t.append(String.format("Variant: prompt x%d, %s API key(s), request log on %s%s%n", o.promptScale, meta.get("api_keys"),
                meta.get("request_log"), o.env.isEmpty() ? "" : ", env " + o.env));
        t.append(String.format("Steps: %s connections, %d s each after %d s warm-up, %d repetition(s), direct/gateway order alternating%n%n",
                o.conns, o.duration, o.warmup, o.reps));
        t.append("| on one core | max req/s | added p50 / p99 at 1 connection | CPU per request | RSS idle → peak | start |\n");
        t.append("|---|--:|--:|--:|--:|--:|\n");
        t.append(row("this gateway", "gateway", levels, gateway.rssIdleKb(), gwPeakKb,
                String.format("%.1f s to first request", gateway.startSeconds())));
        if (floor != null) {
            t.append(row("bare proxy floor (node, parse + re-serialise JSON)", "floor", levels, floor.rssIdleKb(), floorPeakKb, ""));
        }
        t.append("\n| connections | direct req/s | direct p50 / p99 ms | gateway req/s | gateway p50 / p99 ms | added p50 / p99 ms"
                + " | gateway CPU µs/req (without JIT) | context switches/req | errors |");
        t.append(floor == null ? "\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n" : " floor req/s | floor added p50 / p99 ms | floor CPU µs/req |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (int c : o.conns) {
            Level d = level(levels, c, "direct");
            Level g = level(levels, c, "gateway");
            Level f = level(levels, c, "floor");
            if (d == null || g == null) {
                continue;
            }
            t.append(String.format("| %d | %,.0f | %.3f / %.3f | %,.0f | %.3f / %.3f | %+.3f / %+.3f | %,.0f (%,.0f) | %.1f | %d |", c, d.rps(),
                    d.p50Ms(), d.p99Ms(), g.rps(), g.p50Ms(), g.p99Ms(), g.addedP50Ms(), g.addedP99Ms(), g.cpuUsPerRequest(),
                    g.cpuUsPerRequestWithoutJit(),
                    g.switchesPerRequest(), g.errors() + d.errors()));
            if (f != null) {
                t.append(String.format(" %,.0f | %+.3f / %+.3f | %,.0f |", f.rps(), f.addedP50Ms(), f.addedP99Ms(), f.cpuUsPerRequest()));
            }
            t.append('\n');
        }
        t.append(String.format("%nStreaming, time to first token (%d sequential requests each way, chunks %d ms apart): "
                        + "direct p50 %.3f / p99 %.3f ms, gateway p50 %.3f / p99 %.3f ms, added p50 %+.3f / p99 %+.3f ms, errors %d%n",
                ttft[1].n(), o.chunkDelayMs, ttft[0].p50Ms(), ttft[0].p99Ms(), ttft[1].p50Ms(), ttft[1].p99Ms(),
                ttft[1].p50Ms() - ttft[0].p50Ms(), ttft[1].p99Ms() - ttft[0].p99Ms(), ttft[0].errors() + ttft[1].errors()));
        Level low = level(levels, o.conns.get(0), "gateway");
        if (low != null) {
            t.append(String.format("Gateway context switches per request at %d connection(s), by thread group: %s%n",
                    low.conns(), top(low.switchesByThread(), 6)));
        }
        for (int c : o.conns) {
            Level g = level(levels, c, "gateway");
            if (g != null) {
                t.append(String.format("Gateway CPU µs per request at %d connection(s), by thread group: %s%n", c, top(g.cpuUsByThread(), 8)));
            }
        }
        double maxOther = steps.stream().mapToDouble(GatewayBench.Step::otherCores).max().orElse(0);
        long noisy = steps.stream().filter(s -> s.otherCores() > NOISY_CORES).count();
        t.append(String.format("Noise: other work on the machine used up to %.2f cores during a step; %d of %d steps above %.2f cores%s%n",
                maxOther, noisy, steps.size(), NOISY_CORES, noisy > 0 ? " (compare CPU per request, not latency, across such runs)" : ""));
        return t.toString();
    }

    private String row(String name, String target, List<Level> levels, long idleKb, long peakKb, String start) {
        List<Level> mine = levels.stream().filter(l -> l.target().equals(target)).toList();
        if (mine.isEmpty()) {
            return "";
        }
        double max = mine.stream().mapToDouble(Level::rps).max().orElse(0);
        Level first = mine.get(0);
        StringBuilder cpu = new StringBuilder(String.format("%,.0f µs at c=%d", first.cpuUsPerRequest(), first.conns()));
        if (mine.size() > 1) {
            List<Level> rest = mine.subList(1, mine.size());
            double lo = rest.stream().mapToDouble(Level::cpuUsPerRequest).min().orElse(0);
            double hi = rest.stream().mapToDouble(Level::cpuUsPerRequest).max().orElse(0);
            cpu.append(String.format(", %,.0f–%,.0f µs at c=%d–%d", lo, hi, rest.get(0).conns(), rest.get(rest.size() - 1).conns()));
        }
        return String.format("| %s | %,.0f | %+.2f / %+.2f ms | %s | %d → %d MB | %s |%n", name, max, first.addedP50Ms(),
                first.addedP99Ms(), cpu, idleKb / 1024, peakKb / 1024, start);
    }

    Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>(meta);
        Map<String, Object> variant = new LinkedHashMap<>();
        variant.put("prompt_scale", o.promptScale);
        variant.put("api_keys", meta.get("api_keys"));
        variant.put("env", o.env);
        variant.put("java_opts", o.javaOpts);
        j.put("variant", variant);
        j.put("conns", o.conns);
        j.put("duration_s", o.duration);
        j.put("reps", o.reps);
        Map<String, Object> gw = new LinkedHashMap<>();
        gw.put("start_s", round(2, gateway.startSeconds()));
        gw.put("rss_idle_mb", gateway.rssIdleKb() / 1024);
        gw.put("rss_peak_mb", gwPeakKb / 1024);
        j.put("gateway", gw);
        if (floor != null) {
            j.put("floor", Map.of("rss_idle_mb", floor.rssIdleKb() / 1024, "rss_peak_mb", floorPeakKb / 1024));
        }
        j.put("levels", levels());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("direct", ttft[0]);
        s.put("gateway", ttft[1]);
        s.put("added_p50_ms", round(3, ttft[1].p50Ms() - ttft[0].p50Ms()));
        s.put("added_p99_ms", round(3, ttft[1].p99Ms() - ttft[0].p99Ms()));
        j.put("streaming_ttft", s);
        j.put("steps", steps);
        j.put("noisy_steps", steps.stream().filter(st -> st.otherCores() > NOISY_CORES).count());
        j.put("other_work_cores_max", round(2, steps.stream().mapToDouble(GatewayBench.Step::otherCores).max().orElse(0)));
        return j;
    }

    private static Level level(List<Level> levels, int c, String target) {
        return levels.stream().filter(l -> l.conns() == c && l.target().equals(target)).findFirst().orElse(null);
    }

    private static String top(Map<String, Double> m, int n) {
        StringBuilder b = new StringBuilder();
        m.entrySet().stream().limit(n).forEach(e -> b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue()));
        return b.toString();
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) {
            return 0;
        }
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static double round(int digits, double v) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
