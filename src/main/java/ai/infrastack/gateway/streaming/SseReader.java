package ai.infrastack.gateway.streaming;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads Server-Sent Events off a byte stream, one {@link #next()} at a time, following the WHATWG
 * event-stream grammar: lines end in {@code \n}, {@code \r\n} or a lone {@code \r} (Gemini sends CRLF);
 * {@code data:} lines of one event are joined with {@code \n}; {@code event:} names it; lines starting
 * with {@code :} are comments; one space after the colon is dropped; {@code id:} and {@code retry:}
 * are ignored (the gateway never reconnects).
 *
 * <p>It never reads ahead: {@link #next()} returns as soon as the blank line ending an event has
 * arrived, even if the upstream then pauses, and a {@code \r} does not wait to see whether a
 * {@code \n} follows (a following {@code \n} is skipped when it comes). Lines are split on bytes, so a
 * multi-byte UTF-8 character split across reads is decoded whole. No regular expressions.
 *
 * <p>At EOF an unfinished event is returned if it holds data, else dropped. Not thread-safe.
 */
public final class SseReader implements Closeable {
    /** An event larger than this is refused rather than buffered without end. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final InputStream in;
    private final int maxEventBytes;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;
    private boolean eof;
    /** The last line ended in {@code \r}: a {@code \n} arriving next belongs to it. */
    private boolean skipLf;
    private boolean firstLine = true;

    private byte[] line = new byte[256];
    private int lineLength;

    // the event being assembled
    private String eventName;
    private String firstData;
    private StringBuilder moreData;
    private boolean hasData;
    private long eventBytes;

    public SseReader(InputStream in) {
        this(in, DEFAULT_MAX_EVENT_BYTES);
    }

    public SseReader(InputStream in, int maxEventBytes) {
        this.in = in;
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * The next event, blocking only until its terminating blank line (or EOF) has been read; null at
     * the end of the stream.
     */
    public SseEvent next() throws IOException {
        while (true) {
            int lineEnd = readLine();
            if (lineEnd < 0) {
                // EOF: a last line without its terminator still counts; then a pending event with data is returned
                if (lineLength > 0) {
                    field();
                    lineLength = 0;
                }
                return hasData ? dispatch() : reset();
            }
            if (lineLength == 0) {
                if (hasData) {
                    return dispatch();
                }
                reset(); // a blank line after only event:/comment lines dispatches nothing
                continue;
            }
            field();
            lineLength = 0;
        }
    }

    /**
     * Reads one line (without its terminator) into {@link #line}; returns 0 at its end, or -1 at EOF
     * (with whatever was read of an unterminated line still in {@link #line}).
     */
    private int readLine() throws IOException {
        while (true) {
            if (pos == limit && !fill()) {
                return -1;
            }
            if (skipLf) {
                skipLf = false;
                if (buf[pos] == LF) {
                    pos++;
                    continue;
                }
            }
            int start = pos;
            int end = limit;
            for (int i = start; i < end; i++) {
                byte b = buf[i];
                if (b == LF || b == CR) {
                    append(start, i - start);
                    pos = i + 1;
                    skipLf = b == CR;
                    return 0;
                }
            }
            append(start, end - start);
            pos = end;
        }
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            eof = true;
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private void append(int from, int length) throws IOException {
        if (length == 0) {
            return;
        }
        if (lineLength + length > maxEventBytes) {
            throw new IOException("Server-sent event line longer than " + maxEventBytes + " bytes");
        }
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
        }
        System.arraycopy(buf, from, line, lineLength, length);
        lineLength += length;
    }

    /** Applies the line in {@link #line} to the event being assembled. */
    private void field() throws IOException {
        int start = 0;
        if (firstLine) {
            firstLine = false;
            // a UTF-8 byte-order mark at the very start of the stream is not part of the first field
            if (lineLength >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
                start = 3;
            }
        }
        if (start == lineLength || line[start] == ':') {
            return; // comment (or a line that held only the BOM)
        }
        int colon = -1;
        for (int i = start; i < lineLength; i++) {
            if (line[i] == ':') {
                colon = i;
                break;
            }
        }
        int nameEnd = colon < 0 ? lineLength : colon;
        int valueStart = colon < 0 ? lineLength : colon + 1;
        if (valueStart < lineLength && line[valueStart] == ' ') {
            valueStart++;
        }
        if (is("data", start, nameEnd)) {
            eventBytes += lineLength - valueStart + 1;
            if (eventBytes > maxEventBytes) {
                throw new IOException("Server-sent event larger than " + maxEventBytes + " bytes");
            }
            String value = new String(line, valueStart, lineLength - valueStart, StandardCharsets.UTF_8);
            if (!hasData) {
                firstData = value;
                hasData = true;
            } else {
                if (moreData == null) {
                    moreData = new StringBuilder(firstData.length() + value.length() + 16).append(firstData);
                }
                moreData.append('\n').append(value);
            }
        } else if (is("event", start, nameEnd)) {
            eventName = new String(line, valueStart, lineLength - valueStart, StandardCharsets.UTF_8);
        }
        // id, retry and unknown fields are ignored
    }

    private boolean is(String name, int from, int to) {
        if (to - from != name.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (line[from + i] != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private SseEvent dispatch() {
        SseEvent event = new SseEvent(eventName, moreData != null ? moreData.toString() : firstData);
        reset();
        return event;
    }

    private SseEvent reset() {
        eventName = null;
        firstData = null;
        moreData = null;
        hasData = false;
        eventBytes = 0;
        return null;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
