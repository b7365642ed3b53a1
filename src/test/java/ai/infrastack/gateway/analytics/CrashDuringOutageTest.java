package ai.infrastack.gateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real gateway process, killed with SIGKILL while its database is down, loses no request-log row
 * of a call it answered: each row was in the journal before its answer went out, and the next start
 * writes them. The calls are made right after the database stops, and the kill follows the last
 * answer at once, so rows still in the writer's hands count too. The gateway runs in a JVM of its own (the test's classpath, the repository's
 * routes and pricing); the test runs its own embedded PostgreSQL and stops it.
 */
class CrashDuringOutageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MASTER = "sk-crash-test-master-0123456789";
    private static final int OUTAGE_CALLS = 25;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    private EmbeddedPostgres postgres;
    private Process gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void kill_nine_during_a_database_outage_loses_no_answered_row() throws Exception {
        int pgPort = freePort();
        postgres = startPostgres(pgPort);
        String jdbc = postgres.getJdbcUrl("postgres", "postgres");
        Path journal = dir.resolve("journal");
        int port = freePort();

        gateway = startGateway(port, jdbc, journal, "first");
        String before = call(port, "before the outage");

        postgres.close();
        postgres = null;
        Set<String> answered = new HashSet<>();
        for (int i = 0; i < OUTAGE_CALLS; i++) {
            answered.add(call(port, "during the outage " + i));
        }
        assertEquals(OUTAGE_CALLS, answered.size());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(journal)), "owner-only journal");

        // No grace: SIGKILL right after the last answer.
        gateway.destroyForcibly();
        assertTrue(gateway.waitFor(20, TimeUnit.SECONDS), "killed");
        assertEquals(137, gateway.exitValue(), "killed by SIGKILL");

        postgres = startPostgres(pgPort);
        gateway = startGateway(port, jdbc, journal, "second");
        answered.add(before);
        awaitRows(jdbc, answered, Duration.ofSeconds(30));
    }

    private EmbeddedPostgres startPostgres(int port) throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(false).start();
    }

    private Process startGateway(int port, String jdbc, Path journal, String name) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java,
                "-Dcamel.server.port=" + port, "-Dcamel.server.host=127.0.0.1",
                "-Dgateway.auth.master-key=" + MASTER, "-Dgateway.sandbox=true",
                "-Dgateway.database.url=" + jdbc, "-Dgateway.request-log.journal-dir=" + journal,
                "-Dgateway.request-log.retry-ms=200", "-Dgateway.reload-enabled=false",
                "-cp", System.getProperty("java.class.path"), "ai.infrastack.gateway.GatewayApplication"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway-" + name + ".log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail("gateway exited: " + Files.readString(dir.resolve("gateway-" + name + ".log")));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return p;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        fail("gateway did not start: " + Files.readString(dir.resolve("gateway-" + name + ".log")));
        return null;
    }

    /** One answered chat call; returns its request id. */
    private String call(int port, String content) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + MASTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\""
                        + content + "\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.has("choices"), r.body());
        return r.headers().firstValue("X-Request-Id").orElseThrow();
    }

    private static void awaitRows(String jdbc, Set<String> ids, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> found = new HashSet<>();
        while (System.nanoTime() < deadline) {
            found.clear();
            try (Connection c = DriverManager.getConnection(jdbc);
                 PreparedStatement ps = c.prepareStatement("SELECT request_id FROM request_log WHERE request_id = ANY (?)")) {
                ps.setArray(1, c.createArrayOf("varchar", ids.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            } catch (SQLException starting) {
                // not up yet
            }
            if (found.containsAll(ids)) {
                return;
            }
            Thread.sleep(200);
        }
        Set<String> missing = new HashSet<>(ids);
        missing.removeAll(found);
        fail(missing.size() + " of " + ids.size() + " answered calls missing from request_log: " + missing);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
