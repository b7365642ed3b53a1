package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.RunningGateway;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that stops reading a stream does not hold the call open: once the gateway's writes have
 * waited {@code gateway.http.stream-write-timeout-ms}, the stream is cut, its upstream call is
 * dropped and the request is recorded as 499. A fake OpenAI upstream streams without end; the
 * client reads the headers and then nothing, with a small receive buffer so the socket fills fast.
 */
class SlowReaderTest {
    private HttpServer vendor;
    private final CountDownLatch upstreamDropped = new CountDownLatch(1);

    @BeforeEach
    void startVendor() throws IOException {
        vendor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        vendor.createContext("/v1/chat/completions", this::endlessStream);
        vendor.start();
    }

    @AfterEach
    void stopVendor() {
        vendor.stop(0);
    }

    private void endlessStream(HttpExchange call) throws IOException {
        call.getRequestBody().readAllBytes();
        call.getResponseHeaders().add("Content-Type", "text/event-stream");
        call.sendResponseHeaders(200, 0);
        try (OutputStream out = call.getResponseBody()) {
            out.write(event("{\"role\":\"assistant\",\"content\":\"\"}").getBytes(StandardCharsets.UTF_8));
            byte[] word = event("{\"content\":\"lorem ipsum dolor sit amet \"}").getBytes(StandardCharsets.UTF_8);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                out.write(word);
                out.flush();
            }
        } catch (IOException gone) {
            upstreamDropped.countDown();
        }
    }

    private static String event(String delta) {
        return "data: {\"id\":\"chatcmpl-slow\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
    }

    @Test
    void a_client_that_stops_reading_is_cut_off_and_the_upstream_call_dropped() throws Exception {
        try (RunningGateway gateway = RunningGateway.start(Map.of(
                "gateway.provider.openai.base-url", "http://127.0.0.1:" + vendor.getAddress().getPort() + "/v1",
                "gateway.provider.openai.api-key", "sk-slow-reader-test-0123456789",
                "gateway.http.stream-write-timeout-ms", "500"))) {
            int port = URI.create(gateway.baseUrl()).getPort();
            String body = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me everything\"}]}";
            try (Socket client = new Socket()) {
                client.setReceiveBufferSize(4096);
                client.connect(new InetSocketAddress("127.0.0.1", port));
                client.getOutputStream().write(("POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + RunningGateway.MASTER_KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                InputStream in = client.getInputStream();
                byte[] head = new byte[512];
                assertTrue(in.read(head) > 0, "the stream started");
                assertTrue(new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
                // ... and then the client reads nothing more.
                assertTrue(upstreamDropped.await(30, TimeUnit.SECONDS),
                        "the gateway dropped the upstream call of a client that stopped reading");
                assertEquals(499, awaitStatus(gateway, Duration.ofSeconds(20)), "recorded as abandoned by the client");
            }
        }
    }

    private static int awaitStatus(RunningGateway gateway, Duration timeout) throws Exception {
        Database db = gateway.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = db.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT status FROM request_log WHERE streamed = TRUE");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getInt(1);
                }
            }
            Thread.sleep(50);
        }
        fail("no request-log row for the stream within " + timeout);
        return -1;
    }
}
