package ai.infrastack.gateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An optional async-profiler CPU profile of the gateway over one scenario, for finding where a
 * call's CPU goes under many calls in flight: on when {@code LOAD_PROFILER_LIB} names a
 * libasyncProfiler.so (bench/run.sh --profile extracts one); collapsed stacks and a flame graph go
 * to target/load-test/, with a class histogram of the live heap taken while every call is in flight. Attached with the gateway JDK's jcmd, so the gateway needs no option.
 */
final class GatewayProfile {
    private static final Path OUT = Path.of("target", "load-test");
    private final String library;
    private final long pid;

    private GatewayProfile(String library, long pid) {
        this.library = library;
        this.pid = pid;
    }

    static GatewayProfile start(long pid) {
        GatewayProfile profile = new GatewayProfile(System.getenv("LOAD_PROFILER_LIB"), pid);
        if (profile.library != null && !profile.agent("start,event=cpu,interval=1ms,threads").contains("return code: 0")) {
            profile.agent("start,event=itimer,interval=1ms,threads"); // perf events refused: timer signals instead
        }
        return profile;
    }

    void stop(String name) {
        if (library == null) {
            return;
        }
        Path dir = OUT.toAbsolutePath();
        agent("dump,file=" + dir.resolve(name + "-cpu.html"));
        agent("stop,file=" + dir.resolve(name + "-cpu.collapsed"));
    }

    /** The gateway's live objects by class (after a full GC) while its calls are in flight. */
    void histogram(String name) {
        if (library == null) {
            return;
        }
        try {
            Files.writeString(OUT.resolve(name + "-histogram.txt"), jcmd("GC.class_histogram"));
        } catch (IOException e) {
            System.err.println("histogram: " + e);
        }
    }

    private String agent(String args) {
        return jcmd("JVMTI.agent_load", library, "\"" + args + "\"");
    }

    private String jcmd(String... command) {
        String java = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("java");
        Path sibling = Path.of(java).resolveSibling("jcmd");
        String jcmd = Files.isExecutable(sibling) ? sibling.toString() : "jcmd";
        try {
            Files.createDirectories(OUT);
            List<String> line = new ArrayList<>(List.of(jcmd, String.valueOf(pid)));
            line.addAll(List.of(command));
            Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }
}
