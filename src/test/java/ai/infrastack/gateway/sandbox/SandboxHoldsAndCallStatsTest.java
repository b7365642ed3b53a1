package ai.infrastack.gateway.sandbox;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A unary answer held by name waits, whole, until released, and the sandbox counts it in flight
 * meanwhile (its peak too); a status with status_times applies only that many times per body.
 */
class SandboxHoldsAndCallStatsTest {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void a_held_unary_answer_is_in_flight_until_released_and_then_counted_answered() throws Exception {
        try (SandboxUpstreams sandbox = SandboxUpstreams.start(0)) {
            CompletableFuture<HttpResponse<String>> first = call(sandbox, "one [sandbox:hold=h]");
            CompletableFuture<HttpResponse<String>> second = call(sandbox, "two [sandbox:hold=h]");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (sandbox.held("h") < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, sandbox.held("h"));
            assertEquals(2, sandbox.calls().inFlight());
            assertEquals(0, sandbox.calls().answered());
            assertFalse(first.isDone());

            sandbox.release("h");
            assertEquals(200, first.get().statusCode());
            assertEquals(200, second.get().statusCode());
            assertEquals(200, call(sandbox, "three [sandbox:hold=h]").get().statusCode(), "a released name holds nothing more");
            assertEquals(3, sandbox.calls().received());
            // counted once the last byte is written, which the caller may see a moment before the sandbox does
            long written = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (sandbox.calls().answered() < 3 && System.nanoTime() < written) {
                Thread.sleep(5);
            }
            assertEquals(3, sandbox.calls().answered());
            assertEquals(2, sandbox.calls().peakInFlight());
            assertEquals(0, sandbox.held("h"));
        }
    }

    @Test
    void status_times_limits_an_injected_status_to_the_first_requests_with_that_body() throws Exception {
        try (SandboxUpstreams sandbox = SandboxUpstreams.start(0)) {
            String content = "limited [sandbox:status=429][sandbox:status_times=2]";
            assertEquals(429, call(sandbox, content).get().statusCode());
            assertEquals(429, call(sandbox, content).get().statusCode());
            assertEquals(200, call(sandbox, content).get().statusCode());
            assertEquals(429, call(sandbox, content + " other").get().statusCode(), "counted per body");
        }
    }

    private CompletableFuture<HttpResponse<String>> call(SandboxUpstreams sandbox, String content) {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
        return client.sendAsync(HttpRequest.newBuilder(URI.create(sandbox.baseUrl("openai") + "/chat/completions"))
                .header("Authorization", "Bearer sk-test").header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
