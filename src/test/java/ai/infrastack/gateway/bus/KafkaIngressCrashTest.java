package ai.infrastack.gateway.bus;

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
import java.util.stream.Collectors;

import static ai.infrastack.gateway.bus.KafkaIngressTest.auth;
import static ai.infrastack.gateway.bus.KafkaIngressTest.chat;
import static ai.infrastack.gateway.bus.KafkaTopics.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 1,000 request messages, and the gateway killed (SIGKILL, its own JVM) while it works through
 * them, then started again on the same database, journal and consumer group: every message gets
 * exactly one result, keyed as sent, and nothing is charged twice — each request-log row belongs
 * to exactly one result.
 */
class KafkaIngressCrashTest {
    private static final String MASTER = "sk-crash-master-0123456789";
    private static final int MESSAGES = 1000;
    private final List<Process> gateways = new ArrayList<>();

    @AfterEach
    void stop() {
        gateways.forEach(Process::destroyForcibly);
    }

    @Test
    void a_gateway_killed_midway_and_restarted_answers_every_message_once_and_charges_none_twice() throws Exception {
        Path dir = Files.createTempDirectory("bus-crash");
        try (KafkaTopics topics = new KafkaTopics(4)) {
            String db = TestDatabases.freshPostgres();
            Process first = start(topics, db, dir, "first");
            for (int i = 0; i < MESSAGES; i++) {
                topics.send("key-" + i, chat("m-" + i, "gpt-4o-mini"), auth(MASTER));
            }
            // Killed once it has answered some but not all.
            List<ConsumerRecord<String, String>> before = topics.read(topics.results, r -> r.size() >= 150);
            first.destroyForcibly().waitFor();
            int answeredBeforeKill = topics.readAll(topics.results, Duration.ofMillis(500)).size();
            assertTrue(before.size() >= 150 && answeredBeforeKill < MESSAGES, "killed midway: " + answeredBeforeKill);

            start(topics, db, dir, "second");
            List<ConsumerRecord<String, String>> results = topics.read(topics.results, r -> distinctKeys(r) >= MESSAGES,
                    Duration.ofSeconds(240));
            results = topics.readAll(topics.results, Duration.ofSeconds(3)); // anything more that arrives is a duplicate

            Map<String, Long> perKey = results.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertEquals(MESSAGES, perKey.size(), "every message answered");
            Set<String> duplicated = perKey.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            assertEquals(Set.of(), duplicated, "no message answered twice");
            for (ConsumerRecord<String, String> r : results) {
                assertEquals(r.key(), "key-" + header(r, "x-custom-id").substring(2), "the result carries its message's key");
            }
            // Charged once: no request id twice in the request log, every answer's request id in it. A
            // call in flight at the kill may have been logged (charged) with its answer lost with the
            // process: its message is answered request_interrupted, and it is never run again.
            long interrupted = results.stream().filter(r -> "500".equals(header(r, "x-status"))).count();
            Set<String> resultRequestIds = results.stream().map(r -> header(r, "x-request-id")).filter(id -> id != null)
                    .collect(Collectors.toSet());
            List<String> logged = requestLog(db, resultRequestIds.size());
            assertEquals(logged.size(), new HashSet<>(logged).size(), "no request logged twice");
            assertTrue(new HashSet<>(logged).containsAll(resultRequestIds), "every answer is in the request log");
            long loggedWithoutAnswer = logged.size() - resultRequestIds.size();
            assertTrue(loggedWithoutAnswer <= interrupted, loggedWithoutAnswer + " logged calls without an answer, "
                    + interrupted + " interrupted");
            System.out.printf("bus crash test: %d answered before the kill, %d after, %d request_interrupted,"
                    + " %d logged calls whose answer died with the process%n",
                    answeredBeforeKill, MESSAGES - answeredBeforeKill, interrupted, loggedWithoutAnswer);
            assertTrue(interrupted <= 8, "only what was in flight at the kill: " + interrupted);
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
        props.put("gateway.sandbox", "true");
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
