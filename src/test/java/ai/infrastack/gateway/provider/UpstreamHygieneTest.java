package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What crosses from a vendor to a client, and from one caller to the next, through the upstream
 * client: a vendor that echoes the gateway's provider key, answers raw HTML, or sets cookies;
 * a vendor that cannot be reached. A small OpenAI-shaped server stands in for the vendor.
 */
class UpstreamHygieneTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROVIDER_KEY = "sk-proj-THEGATEWAYSOWNPROVIDERKEY0123456789abcdef";

    private HttpServer vendor;
    private final List<String> cookiesSeen = new CopyOnWriteArrayList<>();
    private volatile String mode = "ok";

    @BeforeEach
    void startVendor() throws IOException {
        vendor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        vendor.createContext("/v1/chat/completions", this::answer);
        vendor.start();
    }

    @AfterEach
    void stopVendor() {
        vendor.stop(0);
    }

    private void answer(HttpExchange call) throws IOException {
        call.getRequestBody().readAllBytes();
        cookiesSeen.add(String.valueOf(call.getRequestHeaders().getFirst("Cookie")));
        String key = call.getRequestHeaders().getFirst("Authorization");
        switch (mode) {
            case "echo-key" -> send(call, 401, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided: "
                    + key.substring(7) + ". You can find your API key at https://platform.openai.com/account/api-keys.\","
                    + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
            case "html" -> send(call, 500, "text/html", "<html><head><title>500 Internal Server Error</title></head><body>"
                    + "<center><h1>500 Internal Server Error</h1></center><hr><center>nginx/1.25 at lb-7.internal.vendor.com</center>"
                    + "</body></html>");
            case "explained-400" -> send(call, 400, "application/json", "{\"error\":{\"message\":\"This model's maximum context "
                    + "length is 8192 tokens. However, you requested 9000 tokens.\",\"type\":\"invalid_request_error\","
                    + "\"code\":\"context_length_exceeded\"}}");
            default -> {
                call.getResponseHeaders().add("Set-Cookie", "vendor_session=caller-one-secret; Path=/");
                send(call, 200, "application/json", "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
                        + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
            }
        }
    }

    private static void send(HttpExchange call, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        call.getResponseHeaders().add("Content-Type", type);
        call.sendResponseHeaders(status, bytes.length);
        call.getResponseBody().write(bytes);
        call.close();
    }

    private RunningGateway gateway(String baseUrl) {
        return RunningGateway.start(Map.of(
                "gateway.provider.openai.base-url", baseUrl,
                "gateway.provider.openai.api-key", PROVIDER_KEY));
    }

    private String vendorUrl() {
        return "http://127.0.0.1:" + vendor.getAddress().getPort() + "/v1";
    }

    private static HttpResponse<String> chat(RunningGateway gateway) {
        return gateway.post("/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                RunningGateway.MASTER_KEY);
    }

    @Test
    void a_vendor_401_echoing_the_provider_key_never_reaches_the_client_nor_the_log() throws Exception {
        mode = "echo-key";
        try (LogCapture log = LogCapture.attach(); RunningGateway gateway = gateway(vendorUrl())) {
            HttpResponse<String> r = chat(gateway);
            assertEquals(502, r.statusCode(), r.body());
            JsonNode err = JSON.readTree(r.body()).path("error");
            assertEquals(401, err.path("upstream_status").asInt());
            assertFalse(r.body().contains("THEGATEWAYSOWNPROVIDERKEY"), "no key to the client: " + r.body());
            assertFalse(r.body().contains("platform.openai.com"), "no vendor host to the client: " + r.body());
            assertTrue(err.path("message").asText().contains("credentials"), r.body());
            assertTrue(log.lines().stream().noneMatch(l -> l.contains("THEGATEWAYSOWNPROVIDERKEY")), "no key in the log");
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("Incorrect API key provided")),
                    "the vendor's reason is in the log for the operator");
        }
    }

    @Test
    void raw_html_from_a_vendor_5xx_becomes_a_short_message() throws Exception {
        mode = "html";
        try (RunningGateway gateway = gateway(vendorUrl())) {
            HttpResponse<String> r = chat(gateway);
            assertEquals(502, r.statusCode(), r.body());
            String message = JSON.readTree(r.body()).path("error").path("message").asText();
            assertFalse(message.contains("<"), message);
            assertFalse(message.contains("vendor.com"), message);
            assertTrue(message.contains("HTTP 500"), message);
        }
    }

    @Test
    void a_vendor_reason_for_a_refused_request_is_passed_on() throws Exception {
        mode = "explained-400";
        try (RunningGateway gateway = gateway(vendorUrl())) {
            HttpResponse<String> r = chat(gateway);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(JSON.readTree(r.body()).path("error").path("message").asText().contains("maximum context length"), r.body());
        }
    }

    @Test
    void an_unreachable_vendor_is_reported_without_its_host_or_port() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (RunningGateway gateway = gateway("http://127.0.0.1:" + closed + "/v1")) {
            HttpResponse<String> r = chat(gateway);
            assertEquals(502, r.statusCode(), r.body());
            assertEquals("upstream_unreachable", JSON.readTree(r.body()).path("error").path("code").asText());
            assertFalse(r.body().contains(String.valueOf(closed)), r.body());
            assertFalse(r.body().contains("127.0.0.1"), r.body());
        }
    }

    @Test
    void a_cookie_set_by_a_vendor_for_one_caller_is_not_sent_with_the_next_callers_request() throws Exception {
        try (RunningGateway gateway = gateway(vendorUrl())) {
            assertEquals(200, chat(gateway).statusCode());
            assertEquals(200, chat(gateway).statusCode());
            assertEquals(2, cookiesSeen.size());
            assertTrue(cookiesSeen.stream().allMatch("null"::equals), "no Cookie header upstream: " + cookiesSeen);
        }
    }
}
