package ai.infrastack.gateway.architecture;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A dependency that drags in an old slf4j-api silently turns every library's log into a no-op. */
class LoggingBindingTest {
    @Test
    void slf4jLogsGoThroughLog4j() {
        assertEquals("org.apache.logging.slf4j.Log4jLoggerFactory", LoggerFactory.getILoggerFactory().getClass().getName());
    }
}
