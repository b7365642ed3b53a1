import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What Linux's /proc says about a process tree and the machine: CPU, memory, context switches. */
final class ProcStats {
    static final long CLK_TCK = 100; // USER_HZ on every Linux we run on

    private ProcStats() {}

    /** The process and its descendants (a launcher script may fork rather than exec). */
    static List<Long> tree(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(p -> {
            pids.add(p.pid());
            p.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** User + system CPU seconds of the tree. */
    static double cpuSeconds(long pid) {
        long ticks = 0;
        for (long p : tree(pid)) {
            String[] f = statFields(Path.of("/proc", Long.toString(p), "stat"));
            if (f != null) {
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
        }
        return ticks / (double) CLK_TCK;
    }

    /** User + system CPU seconds of the tree's threads, by thread group (as {@link #switchesByThreadGroup}). */
    static Map<String, Double> cpuSecondsByThreadGroup(long pid) {
        Map<String, Double> out = new TreeMap<>();
        for (long p : tree(pid)) {
            try (Stream<Path> ts = Files.list(Path.of("/proc", Long.toString(p), "task"))) {
                for (Path t : (Iterable<Path>) ts::iterator) {
                    try {
                        String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                        String[] f = statFields(t.resolve("stat"));
                        if (f != null) {
                            out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK, Double::sum);
                        }
                    } catch (IOException e) {
                        // thread ended
                    }
                }
            } catch (IOException e) {
                // ended
            }
        }
        return out;
    }

    /**
     * User + system CPU seconds of the tree's threads other than the JIT compilers': while the JVM
     * is still compiling (long on a busy one-core box) this is the steady-state cost per request.
     */
    static double cpuSecondsWithoutJit(long pid) {
        long ticks = 0;
        for (long p : tree(pid)) {
            try (Stream<Path> ts = Files.list(Path.of("/proc", Long.toString(p), "task"))) {
                for (Path t : (Iterable<Path>) ts::iterator) {
                    try {
                        if (Files.readString(t.resolve("comm")).contains("CompilerThre")) {
                            continue;
                        }
                    } catch (IOException e) {
                        continue;
                    }
                    String[] f = statFields(t.resolve("stat"));
                    if (f != null) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                }
            } catch (IOException e) {
                // ended
            }
        }
        return ticks / (double) CLK_TCK;
    }

    /** CPU seconds of this JVM's reaped children (wrk runs). */
    static double childrenCpuSeconds() {
        String[] f = statFields(Path.of("/proc/self/stat"));
        return f == null ? 0 : (Long.parseLong(f[13]) + Long.parseLong(f[14])) / (double) CLK_TCK;
    }

    static double selfCpuSeconds() {
        String[] f = statFields(Path.of("/proc/self/stat"));
        return f == null ? 0 : (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK;
    }

    /** Fields after "pid (comm)", so index 0 is the state; utime is index 11. */
    private static String[] statFields(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Summed VmRSS (or VmHWM, the peak) of the tree, in kB. */
    static long memoryKb(long pid, String field) {
        long sum = 0;
        for (long p : tree(pid)) {
            try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(p), "status"))) {
                sum += lines.filter(l -> l.startsWith(field + ":"))
                        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).sum();
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
        return sum;
    }

    /**
     * Context switches (voluntary + involuntary) of every thread of the tree, by thread group: the
     * thread name with its numbers removed ("vert.x-worker-thread-12" counts as "vert.x-worker-thread-").
     * A voluntary switch is a thread going to sleep: waiting for I/O, a lock or another thread.
     */
    static Map<String, Long> switchesByThreadGroup(long pid) {
        Map<String, Long> out = new TreeMap<>();
        for (long p : tree(pid)) {
            Path tasks = Path.of("/proc", Long.toString(p), "task");
            try (Stream<Path> ts = Files.list(tasks)) {
                for (Path t : (Iterable<Path>) ts::iterator) {
                    try {
                        String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                        long n = 0;
                        for (String l : Files.readAllLines(t.resolve("status"))) {
                            if (l.startsWith("voluntary_ctxt_switches:") || l.startsWith("nonvoluntary_ctxt_switches:")) {
                                n += Long.parseLong(l.replaceAll("[^0-9]", ""));
                            }
                        }
                        out.merge(name, n, Long::sum);
                    } catch (IOException | RuntimeException e) {
                        // thread ended
                    }
                }
            } catch (IOException e) {
                // process ended
            }
        }
        return out;
    }

    /** Machine-wide busy and total jiffies from /proc/stat. */
    static long[] machineJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                    + Long.parseLong(f[6]) + Long.parseLong(f[7]) + Long.parseLong(f[8]);
            long total = busy + Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {busy, total};
        } catch (IOException e) {
            return new long[] {0, 0};
        }
    }
}
