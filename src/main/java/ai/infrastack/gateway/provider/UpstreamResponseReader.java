package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import ai.infrastack.gateway.streaming.OpenedStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Provider step after the {@code http} call: records the upstream timings, turns an error status
 * into the gateway's error (provider named, upstream message kept) and a success into a
 * {@link Completion} through the provider's wire translator — or, for a stream, opens it and
 * reads up to its first content, so a stream that fails before answering is an ordinary error.
 */
public final class UpstreamResponseReader implements Processor {
    private final WireTranslators translators;
    private final ObjectMapper mapper;

    public UpstreamResponseReader(WireTranslators translators, ObjectMapper mapper) {
        this.translators = translators;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        long done = System.nanoTime();
        long firstByte = UpstreamTimer.firstByteNanos();
        exchange.setProperty(ExchangeKeys.UPSTREAM_FIRST_BYTE_NANOS, firstByte > 0 ? firstByte : done);
        exchange.setProperty(ExchangeKeys.UPSTREAM_DONE_NANOS, done);

        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        WireTranslator translator = translators.get(
                exchange.getProperty(ExchangeKeys.PROVIDER_DECLARATION, ProviderDeclaration.class).wireFormat());
        Message m = exchange.getMessage();
        int status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        Map<String, String> headers = lowerCaseHeaders(m);
        exchange.setProperty(ExchangeKeys.UPSTREAM_PROCESSING_MS, translator.upstreamProcessingMs(headers));
        boolean ok = status >= 200 && status < 300;
        if (ok && exchange.getProperty(ExchangeKeys.STREAMING, false, Boolean.class)) {
            exchange.setProperty(ExchangeKeys.OPENED_STREAM, OpenedStream.open(m.getBody(InputStream.class),
                    translator.streamDecoder(exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class)), provider));
            exchange.setProperty(ExchangeKeys.UPSTREAM_FIRST_BYTE_NANOS, System.nanoTime());
            m.setBody(null);
            return;
        }
        JsonNode body = ok && m.getBody() instanceof InputStream in ? parse(in, provider) : parse(m.getBody(byte[].class), status, provider);
        if (!ok) {
            throw translator.toError(status, body == null ? mapper.createObjectNode() : body, headers, provider);
        }
        if (body == null || !body.isObject()) {
            throw GatewayException.of(ErrorType.PROVIDER, "The upstream provider returned a response that is not a JSON object")
                    .status(502).provider(provider).upstreamStatus(status).code("upstream_invalid_response").build();
        }
        exchange.setProperty(ExchangeKeys.COMPLETION, translator.fromUpstream(body, exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class)));
        m.setBody(null);
    }

    /**
     * A successful answer, parsed as it is read: copying it to a byte array first cost a buffer and
     * the array's growth for every call. Closing the stream hands the connection back to the pool.
     */
    private JsonNode parse(InputStream in, String provider) {
        try (in) {
            JsonNode node = mapper.readTree(in);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            throw GatewayException.of(ErrorType.PROVIDER, "The upstream provider returned malformed JSON")
                    .status(502).provider(provider).upstreamStatus(200).code("upstream_invalid_response").build();
        } catch (IOException e) {
            // The connection failed mid-answer (a read timeout, a reset, a cancelled call): classified
            // by its cause, as when the body was read before parsing.
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode parse(byte[] bytes, int status, String provider) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            return mapper.readTree(bytes);
        } catch (IOException e) {
            if (status >= 200 && status < 300) {
                throw GatewayException.of(ErrorType.PROVIDER, "The upstream provider returned malformed JSON")
                        .status(502).provider(provider).upstreamStatus(status).code("upstream_invalid_response").build();
            }
            return mapper.createObjectNode().put("message", new String(bytes, 0, Math.min(bytes.length, 500)));
        }
    }

    private static Map<String, String> lowerCaseHeaders(Message m) {
        Map<String, String> headers = new HashMap<>();
        for (Map.Entry<String, Object> h : m.getHeaders().entrySet()) {
            if (h.getValue() != null && !h.getKey().startsWith("Camel")) {
                headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue().toString());
            }
        }
        return headers;
    }
}
