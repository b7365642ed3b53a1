package ai.infrastack.gateway.streaming;

import org.apache.camel.Message;

import java.io.ByteArrayOutputStream;
import java.util.Map;

/**
 * A stream answered to a caller that is not an HTTP client (a route called directly, a test): the
 * events are collected and become the message body when the stream ends.
 */
final class BufferedChunkSink implements ChunkSink {
    private final Message message;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    BufferedChunkSink(Message message) {
        this.message = message;
    }

    @Override
    public void start(int status, Map<String, Object> headers) {
        // the headers stay on the message
    }

    @Override
    public void write(byte[] event) {
        bytes.writeBytes(event);
    }

    @Override
    public void end(byte[] last) {
        bytes.writeBytes(last);
        message.setBody(bytes.toByteArray());
    }

    @Override
    public void abort() {
        message.setBody(bytes.toByteArray());
    }

    @Override
    public boolean open() {
        return true;
    }

    @Override
    public void onGone(Runnable onGone) {
        // never gone
    }
}
