package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ClientLink;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.streaming.ClientStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * Renders any failure on the request path as the spec's error body. A {@link GatewayException}
 * keeps its type and status; an unexpected exception becomes a 500 server_error whose details
 * go to the log, never to the client. A failure after a stream's headers were sent ends that
 * stream with the same error as its last event.
 */
public final class ErrorResponder implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);
    private final ObjectMapper mapper;

    public ErrorResponder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ClientLink client = ClientLink.current();
        if (client != null && client.gone()) {
            // The client hung up and its upstream call was cancelled: nobody to answer, no provider
            // to blame; the request is recorded as 499.
            exchange.setProperty(ExchangeKeys.STATUS, 499);
            exchange.getMessage().setBody(null);
            return;
        }
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GatewayException error = classify(cause, exchange.getProperty(ExchangeKeys.PROVIDER, String.class));
        if (error.status() == 500) {
            LOG.error("request {} failed: {}", exchange.getProperty(ExchangeKeys.REQUEST_ID), cause == null ? "unknown" : cause.toString(), cause);
        }
        exchange.setProperty(ExchangeKeys.ERROR, error);
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        ClientStream stream = exchange.getProperty(ExchangeKeys.CLIENT_STREAM, ClientStream.class);
        if (stream != null) {
            stream.fail(ErrorBody.of(mapper, error, requestId));
            exchange.getMessage().setBody(null);
            return;
        }
        ResponseHeaders.reset(exchange, error.status());
        for (Map.Entry<String, String> h : error.headers().entrySet()) {
            exchange.getMessage().setHeader(h.getKey(), h.getValue());
        }
        exchange.getMessage().setBody(mapper.writeValueAsBytes(ErrorBody.of(mapper, error, requestId)));
    }

    /** Maps what was thrown to what the client is told. */
    static GatewayException classify(Throwable cause, String provider) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof GatewayException g) {
                return g;
            }
            if (t instanceof org.apache.camel.component.direct.DirectConsumerNotAvailableException) {
                // The catalog names a provider that has no route file (yet, or it failed to load).
                return GatewayException.of(ErrorType.PROVIDER, "Provider '" + provider + "' has no route configured")
                        .status(503).provider(provider).code("provider_unavailable").build();
            }
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return GatewayException.of(ErrorType.PROVIDER, "The upstream provider did not answer in time")
                        .status(504).provider(provider).code("upstream_timeout").build();
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t.getClass().getSimpleName().contains("NoHttpResponse")) {
                // The host and port stay in the log: they describe the gateway's network, not the call.
                LOG.warn("Provider {} could not be reached: {}", provider, t.getMessage());
                return GatewayException.of(ErrorType.PROVIDER, "The upstream provider could not be reached")
                        .status(502).provider(provider).code("upstream_unreachable").build();
            }
        }
        return GatewayException.of(ErrorType.SERVER, "The gateway failed to handle this request").build();
    }
}
