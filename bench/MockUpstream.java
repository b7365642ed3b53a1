import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upstream for bench/run.sh: OpenAI's Chat Completions on 127.0.0.1, answering at once with a
 * fixed completion (or a short SSE stream when the body asks for one), so that what is measured is
 * the hop, not a model. Runs inside the bench's own JVM on the load core.
 */
final class MockUpstream implements AutoCloseable {
    private static final byte[] COMPLETION = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello! How can I help you today?\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":9,\"total_tokens\":33,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
            + "\"system_fingerprint\":\"fp_bench\"}").getBytes(StandardCharsets.UTF_8);
    private static final String[] WORDS = {"Hello", "!", " How", " can", " I", " help", "?"};

    private final HttpServer server;
    private final ScheduledExecutorService chunks = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mock-stream");
        t.setDaemon(true);
        return t;
    });
    private final long chunkDelayMs;
    final AtomicLong served = new AtomicLong();

    MockUpstream(int port, long chunkDelayMs) throws IOException {
        // Without it the JDK server leaves Nagle on, and a reply split over two writes waits for an ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        this.chunkDelayMs = chunkDelayMs;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.createContext("/", this::handle);
        // The dispatcher thread answers every request itself: no hand-off, the cheapest baseline.
        server.setExecutor(null);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, 200, "application/json", "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        served.incrementAndGet();
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.contains("\"stream\":true") || text.contains("\"stream\": true")) {
            stream(ex, text.contains("include_usage"));
        } else {
            send(ex, 200, "application/json", COMPLETION);
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** The first content chunk goes out with the headers; the rest follow chunkDelayMs apart. */
    private void stream(HttpExchange ex, boolean usage) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write(event("{\"role\":\"assistant\",\"content\":\"\"}", null));
        out.write(event("{\"content\":\"" + WORDS[0] + "\"}", null));
        out.flush();
        next(ex, out, 1, usage);
    }

    private void next(HttpExchange ex, OutputStream out, int i, boolean usage) {
        chunks.schedule(() -> {
            try {
                if (i < WORDS.length) {
                    out.write(event("{\"content\":\"" + WORDS[i] + "\"}", null));
                    out.flush();
                    next(ex, out, i + 1, usage);
                    return;
                }
                out.write(event("{}", "\"stop\""));
                if (usage) {
                    out.write(("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":24,"
                            + "\"completion_tokens\":7,\"total_tokens\":31}}\n\n").getBytes(StandardCharsets.UTF_8));
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.close();
            } catch (IOException e) {
                ex.close();
            }
        }, chunkDelayMs, TimeUnit.MILLISECONDS);
    }

    private static byte[] event(String delta, String finish) {
        return ("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"logprobs\":null,\"finish_reason\":" + finish + "}]}\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        chunks.shutdownNow();
    }
}
