package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.http.HttpMethods;

import java.util.Map;

/**
 * Provider step: turns the canonical request into the vendor's HTTP request — body, URL and auth
 * headers — for the {@code http} endpoint that follows. Every client header is removed first, so
 * nothing the client sent (its gateway key above all) can reach a vendor.
 */
public final class UpstreamRequestBuilder implements Processor {
    private final WireTranslators translators;
    private final ProviderTargets targets;
    private final ObjectMapper mapper;

    public UpstreamRequestBuilder(WireTranslators translators, ProviderTargets targets, ObjectMapper mapper) {
        this.translators = translators;
        this.targets = targets;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ProviderDeclaration provider = exchange.getProperty(ExchangeKeys.PROVIDER_DECLARATION, ProviderDeclaration.class);
        if (provider == null) {
            throw GatewayException.of(ErrorType.SERVER, "The route of provider '" + exchange.getProperty(ExchangeKeys.PROVIDER)
                    + "' does not instantiate the provider route template (routes/provider-template.yaml)").build();
        }
        WireTranslator translator = translators.get(provider.wireFormat());
        String deployment = exchange.getProperty(ExchangeKeys.DEPLOYMENT, "", String.class);
        int slash = deployment.indexOf('/');
        ProviderTarget target = targets.target(provider, slash < 0 ? "" : deployment.substring(slash + 1));
        ProviderQuirks quirks = provider.quirks();
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        boolean stream = request.path("stream").asBoolean(false);
        exchange.setProperty(ExchangeKeys.STREAMING, stream);
        ParamChanges dropped = new ParamChanges();
        ObjectNode body = stream ? translator.toUpstreamStream(request, model, quirks, dropped)
                : translator.toUpstream(request, model, quirks, dropped);
        if (!dropped.isEmpty()) {
            exchange.setProperty(ExchangeKeys.DROPPED_PARAMS, String.join(",", dropped));
        }
        if (!dropped.adjusted().isEmpty()) {
            ResponseHeaders.add(exchange, "X-Gateway-Adjusted-Params", String.join(",", dropped.adjusted()));
        }

        Message m = exchange.getMessage();
        m.getHeaders().clear();
        // The enum, not "POST": camel-http would convert the string by reflection on every call.
        m.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
        m.setHeader(Exchange.HTTP_URI, target.baseUrl() + (stream ? translator.streamPath(model) : translator.chatPath(model)));
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setHeader("Accept", stream ? "text/event-stream" : "application/json");
        for (Map.Entry<String, String> h : translator.headers(target.apiKey()).entrySet()) {
            m.setHeader(h.getKey(), h.getValue());
        }
        m.setBody(mapper.writeValueAsBytes(body));
        UpstreamTimer.reset();
        exchange.setProperty(ExchangeKeys.UPSTREAM_SENT_NANOS, System.nanoTime());
    }
}
