package ai.infrastack.gateway.streaming;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * The client's side of a streamed answer once its headers are sent: events in the stream's dialect written
 * through the sink, the dialect's opening always first. The relay writes the content; the answer's renderer
 * writes the ending (or the failure) after the pipeline's closing steps.
 */
public final class ClientStream {
    private final StreamDialect dialect;
    private final ChunkSink sink;
    private boolean opened;
    private boolean ended;

    ClientStream(StreamDialect dialect, ChunkSink sink) {
        this.dialect = dialect;
        this.sink = sink;
    }

    /** The dialect the renderer asked for, to write the ending in. */
    public <D extends StreamDialect> D dialect(Class<D> type) {
        return type.cast(dialect);
    }

    /** Sends the dialect's opening, once. */
    void open() throws IOException {
        if (!opened) {
            opened = true;
            sink.write(dialect.opening());
        }
    }

    void text(String text) throws IOException {
        open();
        sink.write(dialect.text(text));
    }

    void toolCallStart(StreamEvent.ToolCallStart start) throws IOException {
        open();
        sink.write(dialect.toolCallStart(start));
    }

    void toolCallArguments(StreamEvent.ToolCallArguments arguments) throws IOException {
        open();
        sink.write(dialect.toolCallArguments(arguments));
    }

    /** The last events (after the opening, if it was never sent) and the end of the response. */
    public void finish(byte[] last) {
        if (ended) {
            return;
        }
        ended = true;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!opened) {
            opened = true;
            out.writeBytes(dialect.opening());
        }
        out.writeBytes(last);
        sink.end(out.toByteArray());
    }

    /** Ends a stream that failed mid-way, as its dialect says a failure looks. */
    public void fail(ObjectNode errorBody) {
        if (!ended) {
            finish(dialect.failure(errorBody));
        }
    }

    /** Ends a stream whose client has gone or stalled: nothing more is written. */
    public void abandon() {
        if (!ended) {
            ended = true;
            sink.abort();
        }
    }

    public boolean ended() {
        return ended;
    }
}
