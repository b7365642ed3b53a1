package ai.infrastack.gateway.support;

import ai.infrastack.gateway.GatewayApplication;
import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The real gateway, booted in-process exactly as {@code java -jar} boots it (same main class,
 * same route and pricing files), on a free port with the sandbox upstreams. Close it when done.
 */
public final class RunningGateway implements AutoCloseable {
    public static final String MASTER_KEY = "sk-test-master-0123456789";

    private final Main main;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RunningGateway(Main main, int port) {
        this.main = main;
        this.port = port;
    }

    public static RunningGateway start() {
        return start(Map.of());
    }

    /** Starts with extra property overrides (e.g. another pricing dir or keys file). */
    public static RunningGateway start(Map<String, String> overrides) {
        int port = freePort();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("camel.server.port", String.valueOf(port));
        props.put("camel.server.host", "127.0.0.1");
        props.put("gateway.auth.master-key", MASTER_KEY);
        props.put("gateway.sandbox", "true");
        // A fresh in-memory database per gateway unless the test names one.
        props.put("gateway.database.url", TestDatabases.freshH2());
        // A journal of its own: rows left by one test's outage must not land in another's database.
        props.put("gateway.request-log.journal-dir", journalDir());
        props.putAll(overrides);
        Main main = GatewayApplication.create();
        props.forEach(main::addOverrideProperty);
        try {
            main.start();
        } catch (Exception e) {
            throw new IllegalStateException("gateway failed to start", e);
        }
        return new RunningGateway(main, port);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/api/v1";
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public SandboxUpstreams sandbox() {
        return context().getRegistry().lookupByNameAndType("gatewaySandbox", SandboxUpstreams.class);
    }

    public HttpResponse<String> post(String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    public HttpResponse<String> postBytes(String path, byte[] body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    public HttpResponse<String> get(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    public HttpResponse<String> delete(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(30)).DELETE();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String journalDir() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gateway-journal");
            dir.toFile().deleteOnExit();
            return dir.resolve("request-log").toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
