package ai.infrastack.gateway.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Heap after a full GC, and the process's resident set from /proc/self/status (Linux only). */
record ProcessMemory(String label, long heapUsed, long heapCommitted, long nonHeapUsed, long rssKb, long peakRssKb,
                     int threads) {

    static ProcessMemory snapshot(String label) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            memory.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new ProcessMemory(label, memory.getHeapMemoryUsage().getUsed(), memory.getHeapMemoryUsage().getCommitted(),
                memory.getNonHeapMemoryUsage().getUsed(), status("VmRSS:"), status("VmHWM:"),
                ManagementFactory.getThreadMXBean().getThreadCount());
    }

    /** A {@code kB} field of /proc/self/status, or -1 where there is none. */
    private static long status(String field) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
            for (String line : lines) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
