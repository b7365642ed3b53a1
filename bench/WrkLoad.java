import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One closed-loop wrk run (bench/wrk-post.lua) on the load CPUs. */
final class WrkLoad {
    /** Latencies in µs. */
    record Result(long requests, long errors, double seconds, long p50, long p90, long p99, long p999, long max) {
        double rps() {
            return requests / seconds;
        }
    }

    private final Path script;
    private final List<String> pin;

    WrkLoad(Path script, List<String> pin) {
        this.script = script;
        this.pin = pin;
    }

    Result run(String url, Path body, Path keys, int conns, int seconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of("wrk", "-t", "1", "-c", Integer.toString(conns), "-d", seconds + "s", "--timeout", "10s",
                "-s", script.toString(), url));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("BENCH_BODY", body.toString());
        pb.environment().put("BENCH_KEYS", keys == null ? "" : keys.toString());
        Process p = pb.start();
        Result result = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.startsWith("BENCHRESULT ")) {
                    String[] f = line.split(" ");
                    result = new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]) / 1e6,
                            Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]),
                            Long.parseLong(f[8]));
                }
            }
        }
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        if (result == null) {
            throw new IOException("wrk gave no result for " + url + ":\n" + all);
        }
        return result;
    }
}
