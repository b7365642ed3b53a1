package ai.infrastack.gateway.sandbox;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated vendor APIs over real HTTP on 127.0.0.1, speaking each vendor's wire format, so the gateway,
 * its tests and a newcomer without API keys can run with no network. Replies are deterministic from the
 * request; {@code [sandbox:name=value]} directives in the last user message inject errors, latency, cache
 * usage and broken streams (see {@link SandboxDirectives}). Every request is recorded.
 *
 * <p>Any non-empty API key is accepted, except one containing {@code invalid}, which gets the vendor's answer
 * to a bad key (401; Gemini's is HTTP 400 API_KEY_INVALID), so a test can check how the gateway handles it.
 *
 * <pre>
 * try (SandboxUpstreams sandbox = SandboxUpstreams.start(0)) {
 *     String openAi = sandbox.baseUrl("openai");        // http://127.0.0.1:PORT/openai/v1
 *     String anthropic = sandbox.baseUrl("anthropic");  // http://127.0.0.1:PORT/anthropic
 *     String gemini = sandbox.baseUrl("gemini");        // http://127.0.0.1:PORT/gemini (…/v1beta/models/M:generateContent)
 *     String cohere = sandbox.baseUrl("cohere");        // http://127.0.0.1:PORT/cohere (…/v2/chat)
 *     String mistral = sandbox.baseUrl("mistral");      // http://127.0.0.1:PORT/mistral/v1
 *     String together = sandbox.baseUrl("together");    // http://127.0.0.1:PORT/together/v1
 *     String llama = sandbox.baseUrlFor("meta", "openai"); // the Together simulator
 * }
 * </pre>
 */
public final class SandboxUpstreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxUpstreams.class);
    private static final int RECORDED_LIMIT = 1000;
    private static final long START_TIMEOUT_SECONDS = 30;

    private final Vertx vertx;
    private final HttpServer server;
    private final List<VendorSimulator> simulators;
    private final RequestRecorder recorder = new RequestRecorder(RECORDED_LIMIT);
    /** Receipts per vendor and exact body, for {@code [sandbox:times=n]}; requests run on one event loop. */
    private final Map<String, Integer> receipts = new java.util.concurrent.ConcurrentHashMap<>();
    private final StreamHolds holds;
    private final CallStats calls = new CallStats();
    private final Map<String, Integer> statusSeen = new java.util.concurrent.ConcurrentHashMap<>();
    private final ResponseWriter writer;
    private volatile long defaultLatencyMs;
    private volatile boolean closed;

    private SandboxUpstreams(Vertx vertx, List<VendorSimulator> simulators) {
        this.vertx = vertx;
        this.simulators = simulators;
        this.holds = new StreamHolds(vertx);
        this.writer = new ResponseWriter(vertx, holds, calls);
        // HTTP/1.1 only: a dropped or cut connection then means exactly one failed request
        this.server = vertx.createHttpServer(new HttpServerOptions()
                .setHost("127.0.0.1")
                .setHttp2ClearTextEnabled(false)
                .setHandle100ContinueAutomatically(true)
                .setCompressionSupported(false));
        this.server.requestHandler(this::onRequest);
    }

    /** Providers served by a simulator of their own rather than by the one of their wire format. */
    private static final Map<String, String> PROVIDER_FORMATS = Map.of(
            "google", GeminiSimulator.FORMAT,
            "gemini", GeminiSimulator.FORMAT,
            "mistral", MistralDialect.FORMAT,
            "meta", TogetherDialect.FORMAT,
            "together", TogetherDialect.FORMAT,
            "cohere", CohereSimulator.FORMAT);

    /** The vendors simulated; adding one is one more entry here. */
    private static List<VendorSimulator> simulators() {
        return List.of(new ChatCompletionsSimulator(new OpenAiDialect()), new AnthropicSimulator(), new GeminiSimulator(),
                new CohereSimulator(), new ChatCompletionsSimulator(new MistralDialect()),
                new ChatCompletionsSimulator(new TogetherDialect()));
    }

    /** Starts listening on 127.0.0.1 ({@code port} 0 picks a free port) and returns once it is bound. */
    public static SandboxUpstreams start(int port) {
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        SandboxUpstreams sandbox = new SandboxUpstreams(vertx, simulators());
        try {
            sandbox.server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture()
                    .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            sandbox.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("sandbox upstreams could not listen on 127.0.0.1:" + port, e);
        }
        LOG.info("Sandbox upstreams listening on http://127.0.0.1:{}", sandbox.port());
        return sandbox;
    }

    public int port() {
        return server.actualPort();
    }

    /** The base URL a client of that vendor is configured with, e.g. {@code http://127.0.0.1:PORT/openai/v1}. */
    public String baseUrl(String format) {
        for (VendorSimulator simulator : simulators) {
            if (simulator.format().equals(format)) {
                return "http://127.0.0.1:" + port() + simulator.basePath();
            }
        }
        throw new IllegalArgumentException("no sandbox for format '" + format + "'; known: " + formats());
    }

    /**
     * The base URL for a provider's calls: its own simulator when there is one (google → Gemini, mistral →
     * Mistral, meta and together → Together, cohere → Cohere), else the simulator of its wire format
     * ("openai", "anthropic", …), else null.
     */
    public String baseUrlFor(String provider, String wireFormat) {
        String own = provider == null ? null : PROVIDER_FORMATS.get(provider.toLowerCase(Locale.ROOT));
        if (own != null) {
            return baseUrl(own);
        }
        for (VendorSimulator simulator : simulators) {
            if (simulator.format().equals(wireFormat)) {
                return "http://127.0.0.1:" + port() + simulator.basePath();
            }
        }
        return null;
    }

    public List<String> formats() {
        List<String> formats = new ArrayList<>();
        simulators.forEach(simulator -> formats.add(simulator.format()));
        return formats;
    }

    /** Latency for requests without a {@code latency} directive (0 = none). */
    public void setDefaultLatencyMs(long latencyMs) {
        this.defaultLatencyMs = Math.max(0, latencyMs);
    }

    public long defaultLatencyMs() {
        return defaultLatencyMs;
    }

    /** The most recent requests (at most 1000), oldest first. */
    public List<RecordedRequest> recorded() {
        return recorder.snapshot();
    }

    /** The latest request to that vendor, or null. */
    public RecordedRequest lastRequest(String format) {
        return recorder.last(format);
    }

    public void clearRecorded() {
        recorder.clear();
        receipts.clear();
    }

    /** Stops the server and its Vert.x instance; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // two waits from the caller's thread: a chained close would complete on the dying event loop
            server.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Sandbox upstreams did not stop cleanly", e);
        }
    }

    private void onRequest(HttpServerRequest request) {
        calls.started();
        // Vert.x disposes of a response once, whether it ended or its connection closed first.
        request.response().endHandler(v -> calls.ended());
        request.body().onSuccess(buffer -> {
            VendorSimulator simulator = simulatorFor(request.path());
            RecordedRequest recorded = statusExpired(record(request, simulator, buffer.toString(StandardCharsets.UTF_8)));
            SandboxResponse response;
            try {
                response = simulator == null ? unknownVendor(recorded) : simulator.handle(recorded, defaultLatencyMs);
            } catch (RuntimeException bug) {
                LOG.error("Sandbox simulator failed on {} {}", recorded.method(), recorded.path(), bug);
                response = SandboxResponse.json(500, "{\"error\":{\"message\":\"sandbox simulator failure: "
                        + bug.getClass().getSimpleName() + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
            }
            hold(response, recorded);
            writer.write(request, response);
        });
    }

    /** Calls received, answered, in flight now and at most at once. */
    public CallStats calls() {
        return calls;
    }

    /** Responses parked under {@code name} now, waiting for {@link #release(String)}. */
    public int held(String name) {
        return holds.parked(name);
    }

    /** Releases every stream parked under {@code name} ({@code [sandbox:hold=<name>]}), and any that reaches it later. */
    public void release(String name) {
        holds.release(name);
    }

    /**
     * The hold directives apply to every vendor alike, so they are read here rather than by each simulator: a
     * stream parks after {@code hold_after} events, a unary answer (no {@code hold_after}) before its first byte.
     */
    private static void hold(SandboxResponse response, RecordedRequest request) {
        SandboxDirectives directives = SandboxDirectives.parse(request.body(), request);
        if (directives.holdName() == null) {
            return;
        }
        if (response.isStream() && directives.holdAfter() >= 0) {
            response.hold(directives.holdName(), directives.holdAfter());
        } else if (!response.isStream()) {
            response.hold(directives.holdName(), 0);
        }
    }

    /** With {@code status_times=n}, the request as the simulator should see it: without its status once n had it. */
    private RecordedRequest statusExpired(RecordedRequest r) {
        long times = SandboxDirectives.parse(r.body()).statusTimes();
        if (times < 0 || statusSeen.merge(r.body(), 1, Integer::sum) <= times) {
            return r;
        }
        return new RecordedRequest(r.format(), r.method(), r.path(), r.query(), r.headers(),
                SandboxDirectives.withoutStatus(r.body()), r.receivedAt());
    }

    private VendorSimulator simulatorFor(String path) {
        if (path == null) {
            return null;
        }
        for (VendorSimulator simulator : simulators) {
            String prefix = simulator.pathPrefix();
            if (path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) {
                return simulator;
            }
        }
        return null;
    }

    private RecordedRequest record(HttpServerRequest request, VendorSimulator simulator, String body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : request.headers().names()) {
            headers.put(name, request.headers().getAll(name));
        }
        String format = simulator == null ? "unknown" : simulator.format();
        if (receipts.size() > RECORDED_LIMIT * 10) {
            receipts.clear(); // a long-running sandbox: counts matter only within one test's retries
        }
        RecordedRequest recorded = new RecordedRequest(format, request.method().name(),
                request.path() == null ? "" : request.path(), request.query(), headers, body, Instant.now(),
                receipts.merge(format + '\n' + body, 1, Integer::sum));
        recorder.add(recorded);
        return recorded;
    }

    private SandboxResponse unknownVendor(RecordedRequest request) {
        List<String> known = new ArrayList<>();
        simulators.forEach(simulator -> known.add(simulator.basePath()));
        return SandboxResponse.json(404, SandboxJson.write(SandboxJson.object().set("error", SandboxJson.object()
                .put("message", "No sandbox vendor serves " + request.method() + " " + request.path()
                        + "; base paths: " + String.join(", ", known))
                .put("type", "invalid_request_error")
                .putNull("param")
                .put("code", "unknown_url"))));
    }

    /** Runs the sandbox standalone: {@code java … SandboxUpstreams [port]} (default 8089), until killed. */
    public static void main(String[] args) throws InterruptedException {
        SandboxUpstreams sandbox = start(args.length > 0 ? Integer.parseInt(args[0]) : 8089);
        Runtime.getRuntime().addShutdownHook(new Thread(sandbox::close, "sandbox-shutdown"));
        for (String format : sandbox.formats()) {
            System.out.println(format + ": " + sandbox.baseUrl(format));
        }
        Thread.currentThread().join();
    }
}
