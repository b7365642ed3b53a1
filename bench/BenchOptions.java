import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** bench/run.sh's options (run.sh --help prints them). */
final class BenchOptions {
    List<Integer> conns = List.of(1, 16, 64);
    int duration = 15;
    int warmup = 3;
    /** -1: 20 s for the table, 60 s before profiling (so the JIT has mostly settled). */
    int prewarm = -1;
    int reps = 2;
    int streamRequests = 200;
    int promptScale = 1;
    int keys = 0;
    String databaseUrl = "";
    boolean postgres;
    Map<String, String> env = new LinkedHashMap<>();
    String javaOpts = "";
    String gwCmd = "";
    Path floorDir;
    boolean floor = true;
    String pin = "auto";
    String label = "gateway";
    Path out = Path.of("target", "bench");
    boolean profile;
    int profileSeconds = 20;
    Path asyncProfilerJar;
    long chunkDelayMs = 10;
    Path repo = Path.of("").toAbsolutePath();

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        o.floorDir = o.repo.resolve("../shared/bench").normalize();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--conns" -> {
                    List<Integer> c = new ArrayList<>();
                    for (String s : args[++i].split(",")) {
                        c.add(Integer.parseInt(s.trim()));
                    }
                    o.conns = c;
                }
                case "--duration" -> o.duration = Integer.parseInt(args[++i]);
                case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                case "--prewarm" -> o.prewarm = Integer.parseInt(args[++i]);
                case "--reps" -> o.reps = Integer.parseInt(args[++i]);
                case "--stream-requests" -> o.streamRequests = Integer.parseInt(args[++i]);
                case "--prompt-scale" -> o.promptScale = Integer.parseInt(args[++i]);
                case "--keys" -> o.keys = Integer.parseInt(args[++i]);
                case "--postgres" -> o.postgres = true;
                case "--database-url" -> o.databaseUrl = args[++i];
                case "--env" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--env NAME=VALUE, got " + kv);
                    }
                    o.env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "--java-opts" -> o.javaOpts = args[++i];
                case "--gw-cmd" -> o.gwCmd = args[++i];
                case "--floor-dir" -> o.floorDir = Path.of(args[++i]).toAbsolutePath();
                case "--no-floor" -> o.floor = false;
                case "--pin" -> o.pin = args[++i];
                case "--label" -> o.label = args[++i];
                case "--out" -> o.out = Path.of(args[++i]);
                case "--profile" -> o.profile = true;
                case "--profile-seconds" -> o.profileSeconds = Integer.parseInt(args[++i]);
                case "--async-profiler-jar" -> o.asyncProfilerJar = Path.of(args[++i]);
                case "--chunk-delay-ms" -> o.chunkDelayMs = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + a + " (bench/run.sh --help)");
            }
        }
        if (o.prewarm < 0) {
            o.prewarm = o.profile ? 60 : 20;
        }
        if (!o.label.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("--label: letters, digits, . _ - only");
        }
        if (o.duration < 1 || o.reps < 1 || o.promptScale < 1 || o.keys < 0) {
            throw new IllegalArgumentException("--duration, --reps and --prompt-scale must be >= 1, --keys >= 0");
        }
        return o;
    }
}
