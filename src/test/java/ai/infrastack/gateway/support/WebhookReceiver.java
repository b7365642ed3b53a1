package ai.infrastack.gateway.support;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP webhook receiver for tests: records every delivery; can answer 500 to the next n. */
public final class WebhookReceiver implements AutoCloseable {
    /** One delivery as received, and the status it was answered with. */
    public record Delivery(String body, Map<String, List<String>> headers, int answered) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final AtomicInteger failNext = new AtomicInteger();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    public static WebhookReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            WebhookReceiver receiver = new WebhookReceiver(server);
            server.createContext("/hook", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                int status = receiver.failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 200;
                synchronized (receiver.deliveries) {
                    receiver.deliveries.add(new Delivery(body, Map.copyOf(exchange.getRequestHeaders()), status));
                }
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** The next {@code n} deliveries are answered 500. */
    public void failNext(int n) {
        failNext.set(n);
    }

    public List<Delivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    /** Deliveries answered 2xx. */
    public List<Delivery> accepted() {
        return deliveries().stream().filter(d -> d.answered() == 200).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
