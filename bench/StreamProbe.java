import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * Time to first token of a streamed completion: from sending the request to reading the first SSE
 * event that carries non-empty content. Sequential, one keep-alive connection per target,
 * alternating direct and gateway so drift hits both alike.
 */
final class StreamProbe {
    record Result(double p50Ms, double p90Ms, double p99Ms, int n, int errors) {}

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Returns {direct, gateway}. */
    Result[] run(String directUrl, String gatewayUrl, String auth, String body, int n) throws InterruptedException {
        long[][] samples = new long[2][n];
        int[] errors = new int[2];
        for (int i = 0; i < n + 10; i++) {
            for (int t = 0; t < 2; t++) {
                int target = i % 2 == 0 ? t : 1 - t;
                long ns = once(target == 0 ? directUrl : gatewayUrl, target == 0 ? null : auth, body);
                if (i < 10) {
                    continue; // warm-up
                }
                if (ns < 0) {
                    errors[target]++;
                }
                samples[target][i - 10] = Math.max(ns, 0);
            }
        }
        return new Result[] {summary(samples[0], errors[0]), summary(samples[1], errors[1])};
    }

    private long once(String url, String auth, String body) throws InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", "Bearer " + auth);
        }
        long start = System.nanoTime();
        try {
            HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            long first = -1;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (first < 0 && line.startsWith("data:") && line.matches(".*\"content\":\"[^\"].*")) {
                        first = System.nanoTime() - start;
                    }
                }
            }
            return r.statusCode() == 200 ? first : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static Result summary(long[] ns, int errors) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return new Result(pct(s, 50), pct(s, 90), pct(s, 99), s.length, errors);
    }

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
