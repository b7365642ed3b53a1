package ai.infrastack.gateway.streaming;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The client's side of a streamed answer once its headers are sent: OpenAI chunks written through
 * the sink, the assistant's role always first. The relay writes the content; the answer's
 * renderer writes the last chunks (or the error event) after the pipeline's closing steps.
 */
public final class ClientStream {
    private final ChunkEncoder encoder;
    private final ChunkSink sink;
    private boolean roleSent;
    private boolean ended;

    ClientStream(ChunkEncoder encoder, ChunkSink sink) {
        this.encoder = encoder;
        this.sink = sink;
    }

    public ChunkEncoder encoder() {
        return encoder;
    }

    /** Sends the role chunk, once. */
    void role() throws IOException {
        if (!roleSent) {
            roleSent = true;
            sink.write(encoder.event(encoder.chunk(encoder.roleDelta(), null)));
        }
    }

    /** Sends one content chunk (after the role chunk). */
    void send(ObjectNode chunk) throws IOException {
        role();
        sink.write(encoder.event(chunk));
    }

    /** The last events — each chunk, then {@code [DONE]} when {@code done} — and the end of the response. */
    public void finish(List<ObjectNode> chunks, boolean done) {
        if (ended) {
            return;
        }
        ended = true;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!roleSent) {
            roleSent = true;
            out.writeBytes(encoder.event(encoder.chunk(encoder.roleDelta(), null)));
        }
        for (ObjectNode chunk : chunks) {
            out.writeBytes(encoder.event(chunk));
        }
        if (done) {
            out.writeBytes(ChunkEncoder.DONE);
        }
        sink.end(out.toByteArray());
    }

    /**
     * Ends a stream that failed mid-way: a chunk with {@code finish_reason: "error"}, then the error event, and
     * no {@code [DONE]}. The official SDKs raise on the error event; a client that ignores in-band error events
     * (LangChain4j) still sees that the answer did not finish normally.
     */
    public void fail(ObjectNode errorBody) {
        finish(List.of(encoder.chunk(encoder.emptyDelta(), ChunkEncoder.ERROR_FINISH), errorBody), false);
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
