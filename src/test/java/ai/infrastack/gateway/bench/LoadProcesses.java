package ai.infrastack.gateway.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processes a load test runs against, each in a JVM of its own so that no process needs more
 * sockets than the machine allows one process (20,000 here): the sandbox upstreams, run from the
 * packaged jar's sandbox main, and the gateway, started by {@code bin/gateway} exactly as the README
 * starts it, with its openai provider pointed at that sandbox.
 */
final class LoadProcesses implements AutoCloseable {
    static final String MASTER_KEY = "sk-load-master-0123456789";
    private static final Path JAR = Path.of("target", "llm-gateway.jar");

    private final List<Process> processes = new ArrayList<>();
    private final Path logs = Path.of("target", "load-test");
    final int sandboxPort;
    final int gatewayPort;
    Process gateway;

    private LoadProcesses(int sandboxPort, int gatewayPort) {
        this.sandboxPort = sandboxPort;
        this.gatewayPort = gatewayPort;
    }

    /** Starts the sandbox, then the gateway with these extra JVM properties; returns once both answer. */
    static LoadProcesses start(Map<String, String> gatewayProperties) throws Exception {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " not found: run mvn -q package -DskipTests first");
        }
        LoadProcesses p = new LoadProcesses(freePort(), freePort());
        Files.createDirectories(p.logs);
        try {
            p.startSandbox();
            p.startGateway(gatewayProperties);
        } catch (Exception e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void startSandbox() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder b = new ProcessBuilder(pinned(LOAD_CPUS, java, "-Xmx1g", "-cp", JAR.toString(),
                "ai.infrastack.gateway.sandbox.SandboxUpstreams", String.valueOf(sandboxPort)));
        b.redirectErrorStream(true).redirectOutput(logs.resolve("sandbox.log").toFile());
        processes.add(b.start());
        waitFor("http://127.0.0.1:" + sandboxPort + "/openai/v1/models", processes.get(0));
    }

    private void startGateway(Map<String, String> properties) throws Exception {
        Path db = logs.resolve("db");
        deleteTree(db);
        // h2c: the 10,000 calls share 200 connections (see ConcurrencyLoad).
        StringBuilder opts = new StringBuilder("-Dgateway.access-log.enabled=false -Dgateway.http.h2c=true");
        properties.forEach((k, v) -> opts.append(" -D").append(k).append('=').append(v));
        // Extra JVM options for an experiment (a GC, compiler logging), as bin/gateway's JAVA_OPTS.
        opts.append(' ').append(System.getenv().getOrDefault("LOAD_GATEWAY_JAVA_OPTS", ""));
        ProcessBuilder b = new ProcessBuilder(pinned(GATEWAY_CPUS, "bin/gateway"));
        Map<String, String> env = b.environment();
        env.put("JAVA_OPTS", opts.toString());
        env.put("GATEWAY_MASTER_KEY", MASTER_KEY);
        env.put("UNIFIED_GATEWAY_PORT", String.valueOf(gatewayPort));
        env.put("UNIFIED_GATEWAY_HOST", "127.0.0.1");
        env.put("OPENAI_API_KEY", "sk-load-openai-0123456789");
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + sandboxPort + "/openai/v1");
        env.put("DATABASE_URL", "jdbc:h2:file:./" + db.resolve("gateway")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE");
        env.put("LOG_LEVEL", "warn");
        b.redirectErrorStream(true).redirectOutput(logs.resolve("gateway.log").toFile());
        gateway = b.start();
        processes.add(gateway);
        waitFor("http://127.0.0.1:" + gatewayPort + "/api/v1/health", gateway);
    }

    /** A kB field of the gateway's /proc status (VmRSS, VmHWM) or its Threads count. */
    long gatewayStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(gateway.pid()), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * With {@code LOAD_GATEWAY_CPUS} set (e.g. {@code 1}), the gateway runs on those CPUs and the
     * sandbox and this generator on {@code LOAD_CPUS} (e.g. {@code 0}), as bench/run.sh pins them:
     * the generator's own queueing then stays out of the gateway's share of the machine.
     */
    static final String GATEWAY_CPUS = System.getenv("LOAD_GATEWAY_CPUS");
    static final String LOAD_CPUS = System.getenv().getOrDefault("LOAD_CPUS", "0");

    private static List<String> pinned(String cpus, String... command) {
        List<String> line = new ArrayList<>();
        if (GATEWAY_CPUS != null && !GATEWAY_CPUS.isBlank()) {
            line.addAll(List.of("taskset", "-c", cpus));
        }
        line.addAll(List.of(command));
        return line;
    }

    /** Pins this generator's threads to {@code LOAD_CPUS} when the gateway is pinned. */
    static void pinSelf() throws Exception {
        if (GATEWAY_CPUS != null && !GATEWAY_CPUS.isBlank()) {
            new ProcessBuilder("taskset", "-a", "-p", "-c", LOAD_CPUS, String.valueOf(ProcessHandle.current().pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }

    /** The gateway's process id (bin/gateway execs the JVM). */
    long gatewayPid() {
        return gateway.pid();
    }

    /** CPU seconds (user + system) the gateway process has used so far. */
    double gatewayCpuSeconds() {
        return cpuSeconds(gateway.pid());
    }

    /** CPU seconds (user + system) the sandbox process has used so far. */
    double sandboxCpuSeconds() {
        return cpuSeconds(processes.get(0).pid());
    }

    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Open file descriptors of the gateway process. */
    long gatewayOpenFiles() {
        try (var files = Files.list(Path.of("/proc", String.valueOf(gateway.pid()), "fd"))) {
            return files.count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static void waitFor(String url, Process process) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited (" + process.exitValue() + ") before " + url + " answered");
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                        .header("Authorization", "Bearer x").build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() < 500) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(url + " did not answer in 90 s");
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
