package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Json;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A successful upstream answer is parsed straight from the connection's stream, which is then closed. */
class UpstreamResponseReaderTest {
    private final UpstreamResponseReader reader = new UpstreamResponseReader(WireTranslators.discover(), Json.newMapper());

    @Test
    void a_successful_answer_is_parsed_from_the_stream_and_the_stream_closed_so_the_connection_returns_to_the_pool() {
        AtomicBoolean closed = new AtomicBoolean();
        Exchange exchange = answer(200, """
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""", closed);
        reader.process(exchange);
        assertNotNull(exchange.getProperty(ExchangeKeys.COMPLETION));
        assertTrue(closed.get(), "stream closed");
    }

    @Test
    void a_successful_status_with_malformed_json_is_a_502_upstream_invalid_response() {
        GatewayException e = assertThrows(GatewayException.class,
                () -> reader.process(answer(200, "<html>oops</html>", new AtomicBoolean())));
        assertEquals(502, e.status());
        assertEquals("upstream_invalid_response", e.code());
    }

    @Test
    void a_successful_status_with_an_empty_or_non_object_body_is_a_502_upstream_invalid_response() {
        for (String body : new String[] {"", "[1,2]"}) {
            GatewayException e = assertThrows(GatewayException.class,
                    () -> reader.process(answer(200, body, new AtomicBoolean())));
            assertEquals(502, e.status(), body);
            assertEquals("upstream_invalid_response", e.code(), body);
        }
    }

    @Test
    void a_connection_failing_mid_answer_keeps_its_cause_so_a_read_timeout_is_still_a_timeout_not_malformed_json() {
        Exchange exchange = answer(200, "", new AtomicBoolean());
        exchange.getMessage().setBody(new java.io.InputStream() {
            @Override
            public int read() throws java.io.IOException {
                throw new java.net.SocketTimeoutException("Read timed out");
            }
        });
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> reader.process(exchange));
        assertInstanceOf(java.net.SocketTimeoutException.class, e.getCause());
    }

    private static Exchange answer(int status, String body, AtomicBoolean closed) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(ExchangeKeys.PROVIDER, "openai");
        exchange.setProperty(ExchangeKeys.MODEL, new ModelSpec("gpt-4o", "openai", "GPT-4o", "gpt-4o", List.of(), List.of(),
                128_000, 16_384, true, true, true, "chat", "premium", 800, Set.of(), "max_tokens", 4096));
        exchange.setProperty(ExchangeKeys.PROVIDER_DECLARATION, ProviderDeclaration.of("openai", "openai", "http://127.0.0.1:1/v1", "OPENAI"));
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setBody(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public void close() {
                closed.set(true);
            }
        });
        return exchange;
    }
}
