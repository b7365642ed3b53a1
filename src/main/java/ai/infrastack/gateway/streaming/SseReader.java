package ai.infrastack.gateway.streaming;

import java.io.IOException;
import java.io.InputStream;

/** Placeholder until the real reader lands: reads SSE events off a stream, one at a time. */
public final class SseReader {
    private final InputStream in;

    public SseReader(InputStream in) {
        this.in = in;
    }

    public SseEvent next() throws IOException {
        throw new IOException("not yet");
    }
}
