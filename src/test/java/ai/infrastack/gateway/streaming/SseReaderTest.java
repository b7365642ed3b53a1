package ai.infrastack.gateway.streaming;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The SSE grammar the vendors' streams rely on, and that events come out as soon as they are complete. */
class SseReaderTest {

    private static List<SseEvent> read(InputStream in) throws IOException {
        List<SseEvent> events = new ArrayList<>();
        try (SseReader reader = new SseReader(in)) {
            for (SseEvent e = reader.next(); e != null; e = reader.next()) {
                events.add(e);
            }
        }
        return events;
    }

    private static List<SseEvent> read(String text) throws IOException {
        return read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Hands out one byte per read, as a slow network might. */
    private static InputStream trickle(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[pos++];
                return 1;
            }
        };
    }

    @ParameterizedTest(name = "line ending {0}")
    @ValueSource(strings = {"\n", "\r\n", "\r"})
    void every_line_ending_frames_the_same_events(String eol) throws IOException {
        String stream = "event: message_start" + eol + "data: {\"a\":1}" + eol + eol
                + "data: {\"b\":2}" + eol + eol
                + "data: [DONE]" + eol + eol;
        List<SseEvent> expected = List.of(new SseEvent("message_start", "{\"a\":1}"), new SseEvent(null, "{\"b\":2}"),
                new SseEvent(null, "[DONE]"));
        assertEquals(expected, read(stream));
        assertEquals(expected, read(trickle(stream)), "byte by byte");
    }

    @Test
    void gemini_crlf_frames_are_split_on_their_blank_line() throws IOException {
        String stream = "data: {\"candidates\":[1]}\r\n\r\ndata: {\"candidates\":[2]}\r\n\r\n";
        assertEquals(List.of(new SseEvent(null, "{\"candidates\":[1]}"), new SseEvent(null, "{\"candidates\":[2]}")),
                read(stream));
    }

    @Test
    void data_lines_of_one_event_are_joined_with_newlines() throws IOException {
        assertEquals(List.of(new SseEvent(null, "first\nsecond\n\nfourth")),
                read("data: first\ndata: second\ndata\ndata: fourth\n\n"));
    }

    @Test
    void comments_are_ignored_and_do_not_dispatch() throws IOException {
        assertEquals(List.of(new SseEvent("ping", "{}"), new SseEvent(null, "x")),
                read(": keep-alive\n\n:another\nevent: ping\n: in the middle\ndata: {}\n\n: trailing\n\ndata: x\n\n"));
    }

    @Test
    void one_space_after_the_colon_is_dropped_and_no_more() throws IOException {
        assertEquals(List.of(new SseEvent("e", "tight"), new SseEvent(" spaced", " two")),
                read("event:e\ndata:tight\n\nevent:  spaced\ndata:  two\n\n"));
    }

    @Test
    void an_event_name_does_not_leak_into_the_next_event() throws IOException {
        assertEquals(List.of(new SseEvent("named", "1"), new SseEvent(null, "2")),
                read("event: named\ndata: 1\n\ndata: 2\n\n"));
    }

    @Test
    void a_blank_line_without_data_dispatches_nothing_and_resets_the_name() throws IOException {
        assertEquals(List.of(new SseEvent(null, "after")), read("event: orphan\n\n\n\ndata: after\n\n"));
    }

    @Test
    void id_retry_and_unknown_fields_are_ignored() throws IOException {
        assertEquals(List.of(new SseEvent(null, "d")), read("id: 7\nretry: 1000\nfoo: bar\ndata: d\n\n"));
    }

    @Test
    void an_unfinished_event_at_eof_is_returned_only_if_it_has_data() throws IOException {
        assertEquals(List.of(new SseEvent(null, "a"), new SseEvent("last", "tail")),
                read("data: a\n\nevent: last\ndata: tail"));
        assertEquals(List.of(new SseEvent(null, "a"), new SseEvent(null, "b")), read("data: a\n\ndata: b\n"));
        assertEquals(List.of(new SseEvent(null, "a")), read("data: a\n\nevent: no-data\n"));
        assertEquals(List.of(), read(""));
    }

    @Test
    void multibyte_utf8_split_across_reads_is_decoded_whole() throws IOException {
        String text = "Grüße, 世界 🌍";
        assertEquals(List.of(new SseEvent("é", text)), read(trickle("event: é\ndata: " + text + "\n\n")));
    }

    @Test
    void a_byte_order_mark_at_the_start_is_skipped() throws IOException {
        assertEquals(List.of(new SseEvent(null, "x")), read("\uFEFFdata: x\n\n"));
    }

    @Test
    void lines_longer_than_the_read_buffer_are_kept_whole() throws IOException {
        String big = "x".repeat(100_000);
        assertEquals(List.of(new SseEvent(null, big), new SseEvent(null, "small")),
                read("data: " + big + "\r\n\r\ndata: small\r\n\r\n"));
    }

    @Test
    void an_event_over_the_size_limit_is_refused() {
        SseReader reader = new SseReader(new ByteArrayInputStream(("data: " + "x".repeat(2000) + "\n\n")
                .getBytes(StandardCharsets.UTF_8)), 1000);
        assertThrows(IOException.class, reader::next);
        SseReader manyLines = new SseReader(new ByteArrayInputStream("data: 0123456789\n".repeat(200)
                .getBytes(StandardCharsets.UTF_8)), 1000);
        assertThrows(IOException.class, manyLines::next);
    }

    @Test
    void an_event_is_returned_as_soon_as_its_blank_line_arrives() throws Exception {
        PipedInputStream in = new PipedInputStream(64 * 1024);
        PipedOutputStream out = new PipedOutputStream(in);
        SseReader reader = new SseReader(in);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<SseEvent> first = pool.submit(reader::next);
            out.write("event: one\ndata: 1\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThrows(TimeoutException.class, () -> first.get(200, TimeUnit.MILLISECONDS),
                    "no blank line yet: the event is not complete");
            out.write("\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals(new SseEvent("one", "1"), first.get(2, TimeUnit.SECONDS), "returned without more bytes");

            // a lone CR ends a line at once: the reader must not wait to see whether LF follows
            Future<SseEvent> second = pool.submit(reader::next);
            out.write("data: 2\r\r".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals(new SseEvent(null, "2"), second.get(2, TimeUnit.SECONDS));

            // the LF that then arrives completes the CRLF; it is not a blank line of its own
            Future<SseEvent> third = pool.submit(reader::next);
            out.write("\ndata: 3\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals(new SseEvent(null, "3"), third.get(2, TimeUnit.SECONDS));

            Future<SseEvent> eof = pool.submit(reader::next);
            out.close();
            assertNull(eof.get(2, TimeUnit.SECONDS));
            assertFalse(pool.isShutdown());
        } finally {
            pool.shutdownNow();
        }
    }
}
