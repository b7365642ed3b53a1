package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenEstimatorTest {
    @Test
    void countsPromptAndCompletionWithTheO200kVocabularyOnceItHasLoaded() throws Exception {
        var messages = new ObjectMapper().readTree("[{\"role\":\"user\",\"content\":\"Hello, world!\"}]");
        Usage usage = new TokenEstimator().estimate(messages, "Hello there");
        // 3 for the reply's priming + 3 per message + "user" (1) + "Hello" "," " world" "!" (4)
        assertEquals(11, usage.uncachedInput());
        assertEquals(2, usage.output());
        assertTrue(usage.estimated());
    }
}
