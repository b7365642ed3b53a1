package ai.infrastack.gateway.clients;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The packaged jar ({@code target/llm-gateway.jar}, built by {@code mvn package}) run as a user runs
 * it — {@code bin/gateway} from the repository root — in sandbox mode on a free loopback port, with an
 * H2 database under {@code target/}. Its output goes to {@code target/client-tests/gateway.log}.
 * One process serves every client test of a run (see {@link PackagedGatewayExtension}).
 */
public final class PackagedGateway implements AutoCloseable {
    public static final String MASTER_KEY = "sk-client-tests-master-0123456789";
    static final Path WORK = Path.of("target", "client-tests");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final int port;

    private PackagedGateway(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static PackagedGateway start() {
        Path jar = Path.of("target", "llm-gateway.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: the client tests run in 'mvn verify', after 'package'");
        }
        int port = freePort();
        try {
            Files.createDirectories(WORK);
            ProcessBuilder builder = new ProcessBuilder("bin/gateway")
                    .redirectErrorStream(true)
                    .redirectOutput(WORK.resolve("gateway.log").toFile());
            Map<String, String> env = builder.environment();
            // No provider key may leak in from the shell: every provider must be answered by the sandbox.
            env.keySet().removeIf(name -> name.endsWith("_API_KEY") || name.endsWith("_BASE_URL") || name.equals("DATABASE_URL"));
            env.put("GATEWAY_SANDBOX", "true");
            env.put("GATEWAY_MASTER_KEY", MASTER_KEY);
            env.put("UNIFIED_GATEWAY_HOST", "127.0.0.1");
            env.put("UNIFIED_GATEWAY_PORT", String.valueOf(port));
            env.put("DATABASE_URL", "jdbc:h2:file:./" + WORK.resolve("db-" + UUID.randomUUID()) + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
            env.put("ENABLE_LOGGING", "false");
            // bin/gateway takes the JDK of JAVA_HOME first: the one running the tests.
            env.put("JAVA_HOME", System.getProperty("java.home"));
            PackagedGateway gateway = new PackagedGateway(builder.start(), port);
            gateway.awaitHealthy();
            return gateway;
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + jar, e);
        }
    }

    /** The base URL a client is configured with, e.g. {@code http://127.0.0.1:PORT/api/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/api/v1";
    }

    private void awaitHealthy() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create(baseUrl() + "/health")).timeout(Duration.ofSeconds(5)).GET().build();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the packaged gateway exited with " + process.exitValue() + "; see " + WORK.resolve("gateway.log"));
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            sleep(250);
        }
        close();
        throw new IllegalStateException("the packaged gateway did not answer /api/v1/health within " + START_TIMEOUT + "; see " + WORK.resolve("gateway.log"));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
