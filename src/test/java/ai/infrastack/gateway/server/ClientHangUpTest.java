package ai.infrastack.gateway.server;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.RunningGateway;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that hangs up on a non-streamed call cancels the upstream call: the request is recorded
 * as 499 long before the upstream would have answered, and the row says so.
 */
class ClientHangUpTest {
    private static final long UPSTREAM_MS = 20_000;

    @Test
    void hanging_up_cancels_the_upstream_call_and_the_row_says_499() throws Exception {
        try (RunningGateway gateway = RunningGateway.start()) {
            int port = URI.create(gateway.baseUrl()).getPort();
            String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hang up on me "
                    + "[sandbox:latency=" + UPSTREAM_MS + "]\"}]}";
            long start = System.nanoTime();
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(("POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + RunningGateway.MASTER_KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                awaitUpstreamCall(gateway);
            } // closed: the client is gone
            int[] statusAndLatency = awaitRow(gateway, Duration.ofSeconds(UPSTREAM_MS / 2000));
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertEquals(499, statusAndLatency[0], "recorded as the client closing the request");
            assertTrue(statusAndLatency[1] < UPSTREAM_MS / 2, "the call ended with the client, not with the upstream: "
                    + statusAndLatency[1] + " ms (test waited " + waited + " ms)");
        }
    }

    /** Waits until the sandbox has received the upstream call. */
    private static void awaitUpstreamCall(RunningGateway gateway) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gateway.sandbox().lastRequest("openai") == null) {
            if (System.nanoTime() > deadline) {
                fail("the upstream call never started");
            }
            Thread.sleep(20);
        }
    }

    private static int[] awaitRow(RunningGateway gateway, Duration timeout) throws Exception {
        Database db = gateway.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = db.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT status, latency_ms FROM request_log WHERE requested_model = 'gpt-4o'");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return new int[] {rs.getInt(1), rs.getInt(2)};
                }
            }
            Thread.sleep(50);
        }
        fail("no request-log row within " + timeout + ": the upstream call was not cancelled");
        return null;
    }
}
