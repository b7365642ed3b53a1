package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.TestDatabases;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static ai.infrastack.gateway.bus.KafkaIngressTest.auth;
import static ai.infrastack.gateway.bus.KafkaIngressTest.chat;
import static ai.infrastack.gateway.bus.KafkaTopics.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 1,000 request messages, and the gateway killed (SIGKILL, its own JVM) while it works through them, then
 * started again on the same database, journal and consumer group. The sandbox upstreams live in the test JVM
 * and outlive both gateways; every message from m-500 on is held there, so each of the four partitions stops
 * at its first such message: the kill lands with m-0..m-499 answered and exactly four calls in flight. One of
 * those four is then given a request-log row under its request id, as if the kill had come after its charge
 * and before its answer was kept (the window the vendor's answer and our write cannot close). After the
 * restart every message has exactly one result: 999 real answers — the three other interrupted ones re-run
 * under their request ids — and one {@code answer_lost}, never sent again; the request log holds one row per
 * call the sandbox answered, plus the simulated one.
 */
class KafkaIngressCrashTest {
    private static final String MASTER = "sk-crash-master-0123456789";
    private static final int MESSAGES = 1000;
    private static final int HELD_FROM = 500;
    private final List<Process> gateways = new ArrayList<>();
    private SandboxUpstreams sandbox;

    @AfterEach
    void stop() {
        gateways.forEach(Process::destroyForcibly);
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void a_gateway_killed_midway_and_restarted_answers_every_message_once_and_charges_none_twice() throws Exception {
        Path dir = Files.createTempDirectory("bus-crash");
        sandbox = SandboxUpstreams.start(0);
        String hold = "bus-crash-" + UUID.randomUUID();
        try (KafkaTopics topics = new KafkaTopics(4)) {
            String db = TestDatabases.freshPostgres();
            Process first = start(topics, db, dir, "first");
            for (int i = 0; i < MESSAGES; i++) {
                String body = chat("m-" + i, "gpt-4o-mini");
                if (i >= HELD_FROM) {
                    body = body.replace("Say hello", "[sandbox:hold=" + hold + "] Say hello");
                }
                topics.send("key-" + i, body, auth(MASTER));
            }
            awaitHeld(hold, 4);
            assertEquals(HELD_FROM, sandbox.calls().answered(), "m-0..m-499 answered, then each partition stopped");
            first.destroyForcibly().waitFor();
            awaitNoneInFlight();
            sandbox.release(hold);
            assertEquals(HELD_FROM, topics.readAll(topics.results, Duration.ofMillis(500)).size(), "answered before the kill");
            Map<String, String> interrupted = takenWithoutAnswer(db);
            assertEquals(4, interrupted.size(), "taken on under a request id, no answer: " + interrupted);
            String charged = interrupted.keySet().iterator().next();
            insertRequestLogRow(db, interrupted.get(charged));

            start(topics, db, dir, "second");
            List<ConsumerRecord<String, String>> results = topics.read(topics.results, r -> distinctKeys(r) >= MESSAGES,
                    Duration.ofSeconds(240));
            results = topics.readAll(topics.results, Duration.ofSeconds(3)); // anything more that arrives is a duplicate

            Map<String, Long> perKey = results.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertEquals(MESSAGES, perKey.size(), "every message answered");
            Set<String> duplicated = perKey.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            assertEquals(Set.of(), duplicated, "no message answered twice");
            Set<String> resultRequestIds = new HashSet<>();
            for (ConsumerRecord<String, String> r : results) {
                String customId = header(r, "x-custom-id");
                assertEquals(r.key(), "key-" + customId.substring(2), "the result carries its message's key");
                resultRequestIds.add(header(r, "x-request-id"));
                if (customId.equals(charged)) {
                    assertEquals("500", header(r, "x-status"), r.value());
                    assertTrue(r.value().contains("\"answer_lost\""), r.value());
                    assertEquals(interrupted.get(charged), header(r, "x-request-id"), "the charged call's request id");
                } else {
                    assertEquals("200", header(r, "x-status"), "a real answer, not request_interrupted: " + r.value());
                }
                if (interrupted.containsKey(customId)) {
                    assertEquals(interrupted.get(customId), header(r, "x-request-id"), customId + " kept its request id");
                }
            }
            assertEquals(MESSAGES, resultRequestIds.size(), "one request id per message");
            assertEquals(MESSAGES - 1, sandbox.calls().answered(), "each message answered upstream once, the charged one not again");
            assertEquals(MESSAGES - 1 + 4, sandbox.calls().received(), "the four cut by the kill were sent twice, no other");

            List<String> logged = requestLog(db, MESSAGES);
            assertEquals(logged.size(), new HashSet<>(logged).size(), "no request logged twice");
            assertEquals(resultRequestIds, new HashSet<>(logged),
                    "the request log: one row per answered call, plus the one charged before the kill");
        }
    }

    private void awaitHeld(String hold, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (sandbox.held(hold) < n) {
            assertTrue(System.nanoTime() < deadline, sandbox.held(hold) + " of " + n + " held");
            Thread.sleep(50);
        }
    }

    private void awaitNoneInFlight() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sandbox.calls().inFlight() > 0) {
            assertTrue(System.nanoTime() < deadline, sandbox.calls().inFlight() + " calls still open after the kill");
            Thread.sleep(50);
        }
    }

    /** custom_id → request id of the items taken on (bus_result row written before the call) with no answer kept. */
    private static Map<String, String> takenWithoutAnswer(String jdbc) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT message_id, request_id FROM bus_result WHERE status IS NULL")) {
            while (rs.next()) {
                String messageId = rs.getString(1);
                out.put(messageId.substring(messageId.indexOf(':') + 1), rs.getString(2));
            }
        }
        return out;
    }

    private static void insertRequestLogRow(String jdbc, String requestId) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO request_log (request_id, created_at, requested_model, served_model, provider, status,"
                    + " prompt_tokens, completion_tokens, cached_tokens, input_cost, output_cost, total_cost, latency_ms, cache_hit,"
                    + " fallback_used, streamed) VALUES ('" + requestId + "', CURRENT_TIMESTAMP, 'gpt-4o-mini', 'gpt-4o-mini',"
                    + " 'openai', 200, 10, 10, 0, 0, 0.00001, 0.00001, 5, FALSE, FALSE, FALSE)");
        }
    }

    private static long distinctKeys(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::key).distinct().count();
    }

    private Process start(KafkaTopics topics, String db, Path dir, String name) throws Exception {
        Map<String, String> props = new HashMap<>(topics.gatewaySettings());
        props.put("camel.server.port", String.valueOf(freePort()));
        props.put("camel.server.host", "127.0.0.1");
        props.put("gateway.auth.master-key", MASTER);
        props.put("gateway.sandbox", "false");
        for (String provider : new String[] {"openai", "anthropic", "google"}) {
            props.put("gateway.provider." + provider + ".base-url", sandbox.baseUrlFor(provider, provider.equals("google") ? "gemini" : provider));
            props.put("gateway.provider." + provider + ".api-key", "sk-sandbox-" + provider);
        }
        props.put("gateway.database.url", db);
        props.put("gateway.request-log.journal-dir", dir.resolve("journal").toString());
        props.put("gateway.reload-enabled", "false");
        props.put("gateway.bus.kafka.consumers", "4"); // one consumer thread per partition
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        props.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "ai.infrastack.gateway.GatewayApplication"));
        Path log = dir.resolve("gateway-" + name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        gateways.add(p);
        if (!p.isAlive()) {
            fail("gateway exited: " + Files.readString(log));
        }
        return p;
    }

    /** The request log's ids once it has at least {@code rows} rows (written in batches, journal replayed at start). */
    private static List<String> requestLog(String jdbc, int rows) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> ids = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            ids.clear();
            try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT request_id FROM request_log")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            if (ids.size() >= rows) {
                Thread.sleep(500); // a last batch still being written would show as an extra row
                return requestLogNow(jdbc);
            }
            Thread.sleep(200);
        }
        return ids;
    }

    private static List<String> requestLogNow(String jdbc) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT request_id FROM request_log")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
