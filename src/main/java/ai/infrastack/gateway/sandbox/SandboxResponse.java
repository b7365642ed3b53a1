package ai.infrastack.gateway.sandbox;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a simulator wants sent back: status, headers and either a body or a list of SSE frames,
 * plus the timing faults (delay, drop, pacing, cut) the writer applies.
 */
final class SandboxResponse {

    private final int status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final String body;
    private final List<String> frames;
    private long delayMs;
    private boolean drop;
    private long frameDelayMs;
    private int cutAfterFrames = -1;
    private String holdName;
    private int holdAfterFrames = -1;

    private SandboxResponse(int status, String body, List<String> frames) {
        this.status = status;
        this.body = body;
        this.frames = frames;
    }

    static SandboxResponse json(int status, String body) {
        return new SandboxResponse(status, body, null).header("content-type", "application/json");
    }

    /** A server-sent-events response; each frame is complete, including its blank-line terminator. */
    static SandboxResponse stream(List<String> frames, long frameDelayMs, int cutAfterFrames) {
        SandboxResponse response = new SandboxResponse(200, null, List.copyOf(frames))
                .header("content-type", "text/event-stream; charset=utf-8")
                .header("cache-control", "no-cache");
        response.frameDelayMs = frameDelayMs;
        response.cutAfterFrames = cutAfterFrames;
        return response;
    }

    SandboxResponse header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    SandboxResponse header(String name, long value) {
        return header(name, Long.toString(value));
    }

    /** Applies the latency and drop directives (or the server default latency). */
    SandboxResponse timed(SandboxDirectives directives, long defaultLatencyMs) {
        this.delayMs = directives.latencyMs(defaultLatencyMs);
        this.drop = directives.drop();
        return this;
    }

    /** Parks the stream after {@code afterFrames} frames until the hold {@code name} is released. */
    SandboxResponse hold(String name, int afterFrames) {
        this.holdName = name;
        this.holdAfterFrames = afterFrames;
        return this;
    }

    String holdName() {
        return holdName;
    }

    /** Frames to send before parking the stream, or -1 to never park it. */
    int holdAfterFrames() {
        return holdAfterFrames;
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }

    String body() {
        return body;
    }

    boolean isStream() {
        return frames != null;
    }

    List<String> frames() {
        return frames;
    }

    long delayMs() {
        return delayMs;
    }

    boolean drop() {
        return drop;
    }

    long frameDelayMs() {
        return frameDelayMs;
    }

    /** Frames to send before cutting the connection, or -1 to send them all. */
    int cutAfterFrames() {
        return cutAfterFrames;
    }
}
