package ai.infrastack.gateway.streaming;

import org.apache.hc.core5.http.io.EofSensorInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A vendor's open event stream, read on demand: each {@link #next()} reads just enough of the
 * upstream to return the next gateway event. Nothing is read ahead, so nothing is buffered.
 */
public final class UpstreamStream {
    private final InputStream upstream;
    private final SseReader reader;
    private final StreamDecoder decoder;
    private final Deque<StreamEvent> pending = new ArrayDeque<>();
    private boolean eof;

    public UpstreamStream(InputStream upstream, StreamDecoder decoder) {
        this.upstream = upstream;
        this.reader = new SseReader(upstream);
        this.decoder = decoder;
    }

    /** The next event, or null when the upstream closed the stream. Blocks on the upstream. */
    public StreamEvent next() throws IOException {
        while (pending.isEmpty()) {
            if (eof) {
                return null;
            }
            SseEvent event = reader.next();
            if (event == null) {
                eof = true;
                return null;
            }
            pending.addAll(decoder.decode(event));
        }
        return pending.poll();
    }

    /**
     * Drops the upstream connection without reading the rest, so a vendor stops generating (and
     * billing) for a client that has gone.
     */
    public void abort() {
        try {
            if (upstream instanceof EofSensorInputStream sensor) {
                sensor.abort();
            } else {
                upstream.close();
            }
        } catch (IOException e) {
            // already gone
        }
    }
}
