package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the step that relays a streamed answer to the client until it ends. */
public final class StreamingConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        context.getRegistry().bind("streamRelay", new StreamRelay(mandatoryLookup(context, Json.BEAN, ObjectMapper.class),
                Settings.of(context).longValue("gateway.http.stream-write-timeout-ms")));
    }
}
