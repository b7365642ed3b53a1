package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.RunningGateway;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keys and prompts a client sends never reach a log line, on success or on any kind of failure,
 * even with every logger turned up to what an operator would run with.
 */
class SecretsStayOutOfLogsTest {

    @Test
    void gateway_keys_and_prompt_text_never_reach_the_log() {
        String wrongKey = "sk-wrong-key-SECRET-7f3a9c";
        String prompt = "my-private-prompt-4821";
        try (LogCapture logs = LogCapture.attach(); RunningGateway gateway = RunningGateway.start(Map.of())) {
            String ok = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}]}";
            assertEquals(200, gateway.post("/chat/completions", ok, RunningGateway.MASTER_KEY).statusCode());
            assertEquals(401, gateway.post("/chat/completions", ok, wrongKey).statusCode());
            assertEquals(400, gateway.post("/chat/completions", "{\"model\": \"" + prompt, RunningGateway.MASTER_KEY).statusCode());
            String failing = "{\"model\": \"claude-3-haiku\", \"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + " [sandbox:status=500]\"}]}";
            assertEquals(502, gateway.post("/chat/completions", failing, RunningGateway.MASTER_KEY).statusCode());

            List<String> lines = logs.lines();
            assertTrue(lines.stream().anyMatch(l -> l.contains("status=200")), "the access line was captured: " + lines.size() + " lines");
            for (String line : lines) {
                assertFalse(line.contains(RunningGateway.MASTER_KEY), "master key in log: " + line);
                assertFalse(line.contains(wrongKey), "rejected key in log: " + line);
                assertFalse(line.contains(prompt), "prompt text in log: " + line);
            }
        }
    }
}
