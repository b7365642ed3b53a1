package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image parts — an https URL and a base64 data URL — reach OpenAI, Anthropic and Gemini in each
 * vendor's native form (checked on the request the sandbox recorded), and a model without vision
 * is refused with a 400 naming it, before any upstream call.
 */
class VisionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMAGE_URL = "https://example.com/photos/paris.png";
    /** A real 1x1 PNG. */
    private static final String PNG_BASE64 =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    private static final String DATA_URL = "data:image/png;base64," + PNG_BASE64;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String withImage(String model, String url) {
        return """
                {"model": "%s", "max_tokens": 100,
                 "messages": [{"role": "user", "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": "%s"}}]}]}""".formatted(model, url);
    }

    /** Sends the request and returns the user message's content as the vendor received it. */
    private static JsonNode sentUserContent(String model, String url, String sandbox, String pointer) throws IOException {
        gateway.sandbox().clearRecorded();
        HttpResponse<String> r = gateway.post("/chat/completions", withImage(model, url), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), "the vendor accepted the image: " + r.body());
        assertEquals(1, gateway.sandbox().recorded().size(), "one upstream call");
        JsonNode body = gateway.sandbox().lastRequest(sandbox).bodyJson();
        JsonNode content = body.at(pointer);
        assertEquals(2, content.size(), "the text and the image: " + body);
        return content;
    }

    // ---- OpenAI -------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {IMAGE_URL, DATA_URL})
    void openai_gets_the_image_url_part_unchanged(String url) throws IOException {
        JsonNode content = sentUserContent("gpt-4o", url, "openai", "/messages/0/content");
        assertEquals(JSON.readTree("{\"type\": \"text\", \"text\": \"What is in this picture?\"}"), content.get(0));
        assertEquals(JSON.readTree("{\"type\": \"image_url\", \"image_url\": {\"url\": \"" + url + "\"}}"), content.get(1));
    }

    // ---- Anthropic ----------------------------------------------------------------------------------

    @Test
    void anthropic_gets_an_https_image_as_a_url_source() throws IOException {
        JsonNode content = sentUserContent("claude-3.5-sonnet", IMAGE_URL, "anthropic", "/messages/0/content");
        assertEquals(JSON.readTree("{\"type\": \"text\", \"text\": \"What is in this picture?\"}"), content.get(0));
        assertEquals(JSON.readTree("{\"type\": \"image\", \"source\": {\"type\": \"url\", \"url\": \"" + IMAGE_URL + "\"}}"),
                content.get(1));
    }

    @Test
    void anthropic_gets_a_data_url_as_a_base64_source_with_its_media_type() throws IOException {
        JsonNode content = sentUserContent("claude-3.5-sonnet", DATA_URL, "anthropic", "/messages/0/content");
        assertEquals(JSON.readTree("{\"type\": \"image\", \"source\": {\"type\": \"base64\", \"media_type\": \"image/png\", \"data\": \""
                + PNG_BASE64 + "\"}}"), content.get(1), "no data: prefix left in the data");
    }

    // ---- Gemini -------------------------------------------------------------------------------------

    @Test
    void gemini_gets_an_https_image_as_file_data() throws IOException {
        JsonNode parts = sentUserContent("gemini-1.5-pro", IMAGE_URL, "gemini", "/contents/0/parts");
        assertEquals(JSON.readTree("{\"text\": \"What is in this picture?\"}"), parts.get(0));
        assertEquals(JSON.readTree("{\"fileData\": {\"mimeType\": \"image/png\", \"fileUri\": \"" + IMAGE_URL + "\"}}"), parts.get(1));
    }

    @Test
    void gemini_gets_a_data_url_as_inline_data() throws IOException {
        JsonNode parts = sentUserContent("gemini-1.5-pro", DATA_URL, "gemini", "/contents/0/parts");
        assertEquals(JSON.readTree("{\"inlineData\": {\"mimeType\": \"image/png\", \"data\": \"" + PNG_BASE64 + "\"}}"), parts.get(1));
    }

    // ---- Models without vision ----------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"gpt-3.5-turbo", "command-r", "llama-3.1-70b", "mistral-large"})
    void a_model_without_vision_gets_400_naming_it_and_no_upstream_call(String model) throws IOException {
        for (String url : new String[] {IMAGE_URL, DATA_URL}) {
            gateway.sandbox().clearRecorded();
            HttpResponse<String> r = gateway.post("/chat/completions", withImage(model, url), RunningGateway.MASTER_KEY);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertEquals("invalid_request_error", error.get("type").asText(), r.body());
            assertTrue(error.get("message").asText().contains(model), "the message names the model: " + error);
            assertTrue(gateway.sandbox().recorded().isEmpty(), "no upstream call for a refused image: " + gateway.sandbox().recorded());
        }
    }

    @Test
    void a_text_only_request_to_a_model_without_vision_still_works() throws IOException {
        gateway.sandbox().clearRecorded();
        HttpResponse<String> r = gateway.post("/chat/completions",
                "{\"model\": \"command-r\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hello\"}]}]}",
                RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), "only images are refused: " + r.body());
        assertFalse(gateway.sandbox().recorded().isEmpty());
    }
}
