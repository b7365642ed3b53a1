package ai.infrastack.gateway.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this process and of the whole machine (Linux {@code /proc}, in clock ticks), so a phase
 * can report what one request cost this JVM and how busy <em>other</em> processes kept the cores:
 * a benchmark on a shared 2-core machine is only as good as its quietness, and this says how quiet.
 * Where {@code /proc} is missing every figure is -1.
 */
record CpuSample(long wallNanos, long selfTicks, long machineBusyTicks, long jitMillis, long gcMillis, long classesLoaded) {
    /** USER_HZ: 100 on every mainstream Linux. */
    private static final double TICKS_PER_SECOND = 100.0;

    static CpuSample now() {
        long gc = 0;
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, bean.getCollectionTime());
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        return new CpuSample(System.nanoTime(), readSelfTicks(), readMachineBusyTicks(), jitMillis, gc,
                ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount());
    }

    /** Milliseconds the JIT compilers spent since {@code earlier} (still compiling = not warmed up), or -1. */
    long jitMillisSince(CpuSample earlier) {
        return jitMillis < 0 || earlier.jitMillis < 0 ? -1 : jitMillis - earlier.jitMillis;
    }

    /** Classes loaded since {@code earlier}: a steady state loads none; a steady stream means generated code. */
    long classesLoadedSince(CpuSample earlier) {
        return classesLoaded - earlier.classesLoaded;
    }

    /** Milliseconds of garbage collection since {@code earlier} (as the collectors count it). */
    long gcMillisSince(CpuSample earlier) {
        return gcMillis - earlier.gcMillis;
    }

    /** CPU milliseconds this process used since {@code earlier}. */
    double selfMillisSince(CpuSample earlier) {
        if (selfTicks < 0 || earlier.selfTicks < 0) {
            return -1;
        }
        return (selfTicks - earlier.selfTicks) * 1000.0 / TICKS_PER_SECOND;
    }

    /** Share (0–1) of all cores' time that other processes used since {@code earlier}. */
    double othersShareSince(CpuSample earlier, int cores) {
        if (selfTicks < 0 || machineBusyTicks < 0 || earlier.selfTicks < 0 || earlier.machineBusyTicks < 0) {
            return -1;
        }
        double others = (machineBusyTicks - earlier.machineBusyTicks) - (selfTicks - earlier.selfTicks);
        double available = (wallNanos - earlier.wallNanos) / 1e9 * TICKS_PER_SECOND * cores;
        return available <= 0 ? -1 : Math.max(0, others / available);
    }

    /** utime + stime of /proc/self/stat (fields 14 and 15, counted after the parenthesised name). */
    private static long readSelfTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // f[0] is field 3 (state), so field n is f[n - 3]
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** All non-idle ticks of the machine: the first line of /proc/stat minus idle and iowait. */
    private static long readMachineBusyTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long busy = 0;
            // cpu user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
            for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
