package ai.infrastack.gateway.support;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real Apache Kafka broker for tests, started once per test JVM by {@code .ci/kafka} — the
 * recipe a developer's local broker uses — on free loopback ports, with its data under
 * {@code target/kafka-tests}. It is a separate {@code java} process on the jars of
 * {@code .ci/kafka-broker}, so the tests keep camel-kafka's kafka-clients (3.9.1). A shutdown hook
 * stops it however the tests end; a broker orphaned by a killed test JVM is stopped by the next run.
 */
public final class KafkaBroker {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
    private static final Path ROOT = Path.of("target", "kafka-tests").toAbsolutePath();
    private static KafkaBroker shared;

    private final String bootstrapServers;
    private final ProcessHandle process;
    private final Path data;

    private KafkaBroker(String bootstrapServers, ProcessHandle process, Path data) {
        this.bootstrapServers = bootstrapServers;
        this.process = process;
        this.data = data;
    }

    /** The broker of this test JVM, started on first use (seconds: see .ci/kafka), stopped when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            stopOrphans();
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "kafka-broker-stop"));
        }
        return shared;
    }

    /** {@code 127.0.0.1:<port>}, for {@code brokers=} and {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** An admin client on this broker; close it when done. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Creates a topic with the given number of partitions (one replica: there is one broker). */
    public void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static KafkaBroker start() {
        Path data = ROOT.resolve(UUID.randomUUID().toString().substring(0, 8));
        int port = RunningGateway.freePort();
        int controllerPort = RunningGateway.freePort();
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of(".ci", "kafka").toAbsolutePath().toString(), "start")
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("KAFKA_PORT", String.valueOf(port));
        env.put("KAFKA_CONTROLLER_PORT", String.valueOf(controllerPort));
        env.put("KAFKA_DATA", data.toString());
        env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A test broker lives for seconds to minutes: the C1 compiler alone starts it sooner.
        env.put("KAFKA_JVM_OPTS", "-XX:TieredStopAtLevel=1");
        String output;
        int exit;
        long started = System.nanoTime();
        try {
            Process script = pb.start();
            output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            exit = script.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        ProcessHandle broker = readPid(data).flatMap(ProcessHandle::of).orElse(null);
        if (exit != 0 || broker == null || !broker.isAlive()) {
            if (broker != null) {
                broker.destroyForcibly();
            }
            throw new IllegalStateException("the test Kafka broker did not start (.ci/kafka exited " + exit + "):\n" + output);
        }
        LOG.info("Kafka broker for the tests on 127.0.0.1:{} (pid {}), started in {} ms", port, broker.pid(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return new KafkaBroker("127.0.0.1:" + port, broker, data);
    }

    private void stop() {
        stopProcess(process);
        deleteRecursively(data);
    }

    /** Stops brokers left by test JVMs that were killed before their shutdown hook ran. */
    private static void stopOrphans() {
        if (!Files.isDirectory(ROOT)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(ROOT)) {
            for (Path dir : dirs.toList()) {
                // Only a process whose command line names that data folder is ours to stop.
                readPid(dir).flatMap(ProcessHandle::of)
                        .filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false))
                        .ifPresent(KafkaBroker::stopProcess);
                deleteRecursively(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void stopProcess(ProcessHandle p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy(); // SIGTERM: the broker shuts down cleanly in about 2 s
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
        }
    }

    private static Optional<Long> readPid(Path dir) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve("broker.pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // left for the next run's clean-up
        }
    }
}
