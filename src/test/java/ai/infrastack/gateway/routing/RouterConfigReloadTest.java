package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router configuration is reloaded live: blocking the provider model auto picked, in the
 * properties file, moves the next pick elsewhere without a restart; a bad value is refused and
 * the configuration in force stays.
 */
class RouterConfigReloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;
    private static Path file;

    @BeforeAll
    static void start() throws Exception {
        file = Files.createTempFile("router", ".properties");
        Files.writeString(file, "gateway.router.blocked-providers =\n");
        gateway = RunningGateway.start(Map.of(
                "gateway.router.config-file", file.toString(),
                "gateway.router.reload-interval-ms", "100"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        Files.deleteIfExists(file);
    }

    @Test
    void blocking_a_provider_in_the_file_takes_effect_without_a_restart() throws Exception {
        String first = picked().get("selected_provider").asText();
        write("gateway.router.blocked-providers = " + first + "\n");
        JsonNode routing = picked();
        for (int i = 0; i < 100 && routing.get("selected_provider").asText().equals(first); i++) {
            Thread.sleep(100);
            routing = picked();
        }
        assertTrue(!routing.get("selected_provider").asText().equals(first), routing.toString());

        // A bad value is refused: the block stays in force.
        write("gateway.router.blocked-providers = \ngateway.router.default-strategy = cheapest\n");
        Thread.sleep(500);
        assertTrue(!picked().get("selected_provider").asText().equals(first));
    }

    private static void write(String text) throws Exception {
        Files.writeString(file, text);
        // a distinct modification time, whatever the file system's clock resolution
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds((long) (Math.random() * 1000) + 1)));
    }

    private static JsonNode picked() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "auto");
        body.putArray("messages").addObject().put("role", "user").put("content", "pick one");
        body.putObject("routing").put("strategy", "cost");
        body.putObject("response").put("include_model_info", true);
        HttpResponse<String> r = gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("routing");
    }
}
