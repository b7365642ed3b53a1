package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * The contract of a vendor wire format. A provider route names its format; the gateway finds the
 * translator through {@link java.util.ServiceLoader} ({@code META-INF/services}), so a new format is
 * one class plus one line there. Implementations are stateless and thread-safe.
 */
public interface WireTranslator {

    /** The name route files use in {@code wireFormat}, e.g. {@code openai}. */
    String format();

    /** Path appended to the provider's base URL for a chat call. */
    String chatPath(ModelSpec model);

    /** Headers that authenticate (and version) the upstream call. */
    Map<String, String> headers(String apiKey);

    /**
     * The vendor's request body for the client's OpenAI-format request. Parameters the vendor or
     * model cannot honour are left out and their names added to {@code dropped}.
     */
    ObjectNode toUpstream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped);

    /** {@link #toUpstream(ObjectNode, ModelSpec, ProviderQuirks, List)} for a host without quirks. */
    default ObjectNode toUpstream(ObjectNode request, ModelSpec model, List<String> dropped) {
        return toUpstream(request, model, ProviderQuirks.NONE, dropped);
    }

    /** The vendor's successful response, translated to OpenAI choices and canonical usage. */
    Completion fromUpstream(JsonNode response, ModelSpec model);

    /**
     * The vendor's error response as the gateway's error. {@code headers} holds the upstream
     * response headers by lower-case name.
     */
    GatewayException toError(int status, JsonNode body, Map<String, String> headers, String provider);

    /** Path appended to the provider's base URL for a streamed chat call. */
    default String streamPath(ModelSpec model) {
        return chatPath(model);
    }

    /**
     * The vendor's request body for a streamed call: {@link #toUpstream} plus whatever makes the
     * vendor stream and report usage in the stream (e.g. OpenAI's {@code stream_options.include_usage}).
     */
    default ObjectNode toUpstreamStream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        throw GatewayException.invalid("stream", "Streaming is not available for the '" + format() + "' wire format");
    }

    /** A fresh decoder for one stream of this vendor's events. */
    default ai.infrastack.gateway.streaming.StreamDecoder streamDecoder(ModelSpec model) {
        throw GatewayException.invalid("stream", "Streaming is not available for the '" + format() + "' wire format");
    }

    /** The upstream's own processing time in ms, when its headers report it (else -1). */
    default long upstreamProcessingMs(Map<String, String> headers) {
        return -1;
    }
}
