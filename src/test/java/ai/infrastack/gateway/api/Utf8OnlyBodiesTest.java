package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JSON between systems is UTF-8 (RFC 8259): a body in UTF-16 or UTF-32, with or without a byte-order mark, is a 400. */
class Utf8OnlyBodiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"héllo wörld\"}]}";
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE"})
    void a_body_in_another_encoding_without_a_byte_order_mark_is_400(String encoding) throws IOException {
        assertRefusedAsNotUtf8(gateway.postBytes("/chat/completions", BODY.getBytes(Charset.forName(encoding)), RunningGateway.MASTER_KEY),
                encoding);
    }

    @ParameterizedTest
    @ValueSource(strings = {"UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE"})
    void a_body_in_another_encoding_with_a_byte_order_mark_is_400(String encoding) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("\uFEFF".getBytes(Charset.forName(encoding)));
        body.writeBytes(BODY.getBytes(Charset.forName(encoding)));
        assertRefusedAsNotUtf8(gateway.postBytes("/chat/completions", body.toByteArray(), RunningGateway.MASTER_KEY), encoding);
    }

    @Test
    void java_utf16_with_its_own_byte_order_mark_is_400() throws IOException {
        assertRefusedAsNotUtf8(gateway.postBytes("/chat/completions", BODY.getBytes(StandardCharsets.UTF_16), RunningGateway.MASTER_KEY),
                "UTF-16BE");
    }

    @Test
    void a_declared_charset_other_than_utf8_is_400() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + RunningGateway.MASTER_KEY)
                .header("Content-Type", "application/json; charset=utf-16")
                .POST(HttpRequest.BodyPublishers.ofByteArray(BODY.getBytes(StandardCharsets.UTF_16)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertRefusedAsNotUtf8(r, "charset=utf-16");
    }

    @Test
    void utf8_with_or_without_a_byte_order_mark_or_a_declared_charset_is_answered() throws Exception {
        assertEquals(200, gateway.postBytes("/chat/completions", BODY.getBytes(StandardCharsets.UTF_8), RunningGateway.MASTER_KEY).statusCode());
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        ByteArrayOutputStream withBom = new ByteArrayOutputStream();
        withBom.writeBytes(bom);
        withBom.writeBytes(BODY.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = gateway.postBytes("/chat/completions", withBom.toByteArray(), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText().contains("héllo wörld"),
                "the text arrives intact: " + r.body());

        HttpResponse<String> declared = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + RunningGateway.MASTER_KEY)
                .header("Content-Type", "application/json; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, declared.statusCode(), declared.body());
    }

    private static void assertRefusedAsNotUtf8(HttpResponse<String> r, String encoding) throws IOException {
        assertEquals(400, r.statusCode(), encoding + ": " + r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText(), r.body());
        assertEquals("invalid_encoding", error.path("code").asText(), r.body());
        assertTrue(error.path("message").asText().contains("UTF-8"), r.body());
        assertTrue(error.path("request_id").asText().startsWith("req_"), r.body());
    }
}
