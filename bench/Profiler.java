import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * async-profiler (tools.profiler:async-profiler from Maven Central) loaded into the running gateway
 * through {@code jcmd JVMTI.agent_load}, and a summary of its collapsed stacks: share of samples by
 * thread group, by the library that owns the work, and the hottest frames.
 */
final class Profiler {
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    /** Frame prefixes (slashed or dotted) and the library they belong to, most specific first. */
    private static final String[][] OWNERS = {
            {"ai/infrastack/gateway/analytics", "gateway: request log + access log"},
            {"ai/infrastack/gateway/metrics", "gateway: metrics"},
            {"ai/infrastack/gateway/provider", "gateway: translators + upstream"},
            {"ai/infrastack/gateway/streaming", "gateway: streaming"},
            {"ai/infrastack", "gateway: other steps"},
            {"com/fasterxml/jackson", "Jackson"},
            {"org/apache/camel/component/platform/http", "Camel platform-http (Vert.x consumer)"},
            {"org/apache/camel/component/http", "Camel http producer"},
            {"org/apache/camel/component/micrometer", "Camel route metrics (micrometer)"},
            {"org/apache/camel", "Camel engine"},
            {"org/apache/hc", "HttpClient 5 (upstream)"},
            {"io/vertx", "Vert.x"},
            {"io/netty", "Netty"},
            {"org/apache/logging", "Log4j"},
            {"org/slf4j", "Log4j"},
            {"io/micrometer", "Micrometer"},
            {"io/prometheus", "Micrometer"},
            {"org/h2", "JDBC (H2/PostgreSQL/Hikari)"},
            {"org/postgresql", "JDBC (H2/PostgreSQL/Hikari)"},
            {"com/zaxxer", "JDBC (H2/PostgreSQL/Hikari)"},
            {"com/github/benmanes/caffeine", "Caffeine"},
    };

    private final Path library;
    private final String jcmd;
    private final long pid;

    Profiler(Path asyncProfilerJar, Path workDir, long pid) throws IOException {
        this.pid = pid;
        this.library = workDir.resolve("libasyncProfiler.so");
        try (ZipFile zip = new ZipFile(asyncProfilerJar.toFile());
             InputStream in = zip.getInputStream(zip.getEntry("linux-x64/libasyncProfiler.so"))) {
            Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
        }
        // jcmd of the JDK the gateway runs on
        String java = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("java");
        Path sibling = Path.of(java).resolveSibling("jcmd");
        this.jcmd = Files.isExecutable(sibling) ? sibling.toString() : "jcmd";
    }

    void start(String event) throws IOException, InterruptedException {
        String args = switch (event) {
            case "cpu" -> "start,event=cpu,interval=1ms,threads";
            case "wall" -> "start,event=wall,interval=2ms,threads";
            case "alloc" -> "start,event=alloc,threads";
            default -> throw new IllegalArgumentException(event);
        };
        String out = agent(args);
        if ("cpu".equals(event) && !out.contains("return code: 0")) {
            agent("start,event=itimer,interval=1ms,threads"); // perf events refused here: timer signals instead
        }
    }

    /** Stops and writes {@code name}.html (flame graph) and {@code name}.collapsed. */
    Path stop(Path dir, String name, boolean totals) throws IOException, InterruptedException {
        Path html = dir.resolve(name + ".html");
        Path collapsed = dir.resolve(name + ".collapsed");
        String total = totals ? ",total" : "";
        agent("dump,file=" + html + total);
        agent("stop,file=" + collapsed + total);
        return collapsed;
    }

    private String agent(String args) throws IOException, InterruptedException {
        // Quoted: jcmd would otherwise read "start,event=cpu" as its own name=value option.
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), "JVMTI.agent_load", library.toString(), "\"" + args + "\"")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        if (p.exitValue() != 0 || !out.contains("return code: 0")) {
            System.err.println("async-profiler " + args + ": " + out.trim());
        }
        return out;
    }

    /** Shares of a collapsed profile, in percent of all samples (or bytes, for allocation totals). */
    record Summary(long total, double jitPercent, Map<String, Double> byThreadGroup, Map<String, Double> byOwner,
                   Map<String, Double> inclusive, Map<String, Double> topFrames) {}

    static Summary summarize(Path collapsed, boolean allocation) throws IOException {
        Map<String, Long> threads = new TreeMap<>();
        Map<String, Long> owners = new TreeMap<>();
        Map<String, Long> inclusive = new TreeMap<>();
        Map<String, Long> frames = new TreeMap<>();
        long total = 0;
        long jit = 0;
        for (String line : Files.readAllLines(collapsed)) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            long n = Long.parseLong(line.substring(sp + 1).trim());
            String[] stack = line.substring(0, sp).split(";");
            total += n;
            String thread = stack[0].startsWith("[") ? DIGITS.matcher(stack[0].replaceAll(" tid=[0-9]+", "")).replaceAll("#") : "?";
            threads.merge(thread, n, Long::sum);
            if (thread.contains("Compiler")) {
                jit += n; // still compiling: not the steady state; reported apart, left out of the rest
                continue;
            }
            owners.merge(owner(stack, allocation), n, Long::sum);
            for (String marker : inclusiveMarkers(stack)) {
                inclusive.merge(marker, n, Long::sum);
            }
            frames.merge(allocation ? stack[stack.length - 1] + " <- " + firstOwned(stack) : leaf(stack), n, Long::sum);
        }
        long work = total - jit;
        return new Summary(total, total == 0 ? 0 : Math.round(1000.0 * jit / total) / 10.0, percent(threads, total, 12),
                percent(owners, work, 20), percent(inclusive, work, 20), percent(frames, work, 25));
    }

    /** The first frame from the leaf that belongs to a known library; else the JVM, the JDK or the kernel. */
    private static String owner(String[] stack, boolean allocation) {
        for (int i = stack.length - (allocation ? 2 : 1); i >= 0; i--) {
            String f = stack[i].replace('.', '/');
            for (String[] o : OWNERS) {
                if (f.startsWith(o[0])) {
                    return o[1];
                }
            }
        }
        String leaf = stack[stack.length - 1];
        if (stack[0].contains("C2 Compiler") || stack[0].contains("C1 Compiler")) {
            return "JIT compiler";
        }
        if (stack[0].contains("GC") || leaf.contains("GC") || leaf.contains("Collector")) {
            return "GC";
        }
        if (!allocation && leaf.endsWith("_[k]")) {
            return "kernel (no library frame)";
        }
        return "JDK / JVM (no library frame)";
    }

    /** Idle waits of pooled and background threads: not part of serving a request. */
    private static final String[] IDLE = {"ThreadPoolExecutor.getTask", "NioEventLoop.select", "TimerThread.mainLoop",
            "RequestLogWriter.run", "DefaultMainShutdownStrategy.await", "LinuxWatchService", "ReferenceQueue.remove",
            "signal_thread_entry", "JLI_Launch", "ScheduledThreadPoolExecutor", "ServerSocket", "accept",
            "MVStore", "CompileBroker::wait_for_completion", "CompileQueue::get", "Monitor::wait", "HouseKeeper",
            "Attach Listener", "WatchFileChangesTask"};

    /**
     * Wall-clock samples of threads doing request work (idle pool threads and background waits left
     * out), as milliseconds per request by thread group and activity.
     */
    static Map<String, Double> wallPerRequest(Path collapsed, double intervalMs, long requests) throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        for (String line : Files.readAllLines(collapsed)) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            long n = Long.parseLong(line.substring(sp + 1).trim());
            String all = line.substring(0, sp);
            String[] stack = all.split(";");
            String thread = DIGITS.matcher(stack[0].replaceAll(" tid=[0-9]+", "")).replaceAll("#");
            boolean waiting = stack[stack.length - 1].contains("futex") || stack[stack.length - 1].contains("poll")
                    || stack[stack.length - 1].contains("epoll_wait");
            boolean idle = false;
            for (String i : IDLE) {
                idle |= all.contains(i);
            }
            if (idle && waiting) {
                continue;
            }
            String activity;
            if (all.contains("receiveResponseHeader") && waiting) {
                activity = "waiting for the upstream's response";
            } else if (all.contains("Unsafe.park") || all.contains("Object.wait")) {
                activity = "parked: waiting for another thread (" + parkedIn(stack) + ")";
            } else if (waiting) {
                activity = "blocked in the kernel (" + stack[stack.length - 1] + ")";
            } else {
                activity = "running: " + owner(stack, false);
            }
            counts.merge(thread + " " + activity, n, Long::sum);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
                .forEach(e -> out.put(e.getKey(), Math.round(1000.0 * e.getValue() * intervalMs / requests) / 1000.0));
        return out;
    }

    /** The innermost non-JDK frame above a park: what was waited for. */
    private static String parkedIn(String[] stack) {
        for (int i = stack.length - 1; i >= 0; i--) {
            String f = stack[i];
            if (f.contains("/") && !f.startsWith("java/") && !f.startsWith("jdk/") && !f.startsWith("sun/")) {
                return f.substring(f.lastIndexOf('/') + 1);
            }
        }
        return "?";
    }

    private static String firstOwned(String[] stack) {
        for (int i = stack.length - 2; i >= 0; i--) {
            String f = stack[i].replace('.', '/');
            if (!f.startsWith("java/") && !f.startsWith("jdk/") && !f.startsWith("sun/")) {
                return stack[i];
            }
        }
        return "?";
    }

    private static String leaf(String[] stack) {
        return stack[stack.length - 1];
    }

    /** Markers a sample counts towards whatever else it also does (so they overlap). */
    private static List<String> inclusiveMarkers(String[] stack) {
        List<String> m = new ArrayList<>();
        String all = String.join(";", stack).replace('.', '/');
        if (all.contains("com/fasterxml/jackson")) {
            m.add("Jackson (anywhere in the stack)");
        }
        if (all.contains("org/apache/logging")) {
            m.add("Log4j (anywhere)");
        }
        if (all.contains("io/micrometer")) {
            m.add("Micrometer (anywhere)");
        }
        if (all.contains("org/apache/hc")) {
            m.add("HttpClient 5 (anywhere)");
        }
        if (all.contains("org/h2") || all.contains("org/postgresql") || all.contains("com/zaxxer")) {
            m.add("JDBC (anywhere)");
        }
        if (all.contains("WireTap") || all.contains("wiretap")) {
            m.add("Camel wire tap (anywhere)");
        }
        if (all.contains("futex")) {
            m.add("futex: waking or parking a thread (kernel)");
        }
        if (all.contains("epoll")) {
            m.add("epoll (kernel)");
        }
        if (all.contains("sys_write") || all.contains("sys_sendto") || all.contains("sys_writev")) {
            m.add("socket/file write syscalls (kernel)");
        }
        if (all.contains("sys_read") || all.contains("sys_recvfrom")) {
            m.add("socket/file read syscalls (kernel)");
        }
        if (all.contains("Unsafe/park") || all.contains("LockSupport/park")) {
            m.add("parked (waiting for another thread)");
        }
        return m;
    }

    private static Map<String, Double> percent(Map<String, Long> counts, long total, int top) {
        Map<String, Double> out = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> out.put(e.getKey(), total == 0 ? 0 : Math.round(1000.0 * e.getValue() / total) / 10.0));
        return out;
    }
}
