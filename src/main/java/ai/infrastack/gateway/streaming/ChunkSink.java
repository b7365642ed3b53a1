package ai.infrastack.gateway.streaming;

import java.io.IOException;
import java.util.Map;

/** Where a streamed answer's bytes go: the client's HTTP response, or a buffer for callers that are not HTTP. */
public interface ChunkSink {

    /** Sends the status line and headers; nothing has been sent before. */
    void start(int status, Map<String, Object> headers);

    /** Writes one event, returning once the peer has taken it (backpressure); fails when it is gone or too slow. */
    void write(byte[] event) throws IOException;

    /** Writes the last bytes (may be empty) and ends the response. */
    void end(byte[] last);

    /** Ends the response without more bytes, closing the connection: the client left or stalled. */
    void abort();

    /** False once the client has gone away. */
    boolean open();

    /** Runs {@code onGone} (once) when the client goes away before the end. */
    void onGone(Runnable onGone);
}
