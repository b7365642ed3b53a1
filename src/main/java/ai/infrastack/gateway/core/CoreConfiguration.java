package ai.infrastack.gateway.core;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/** Binds what every capability shares: the JSON mapper. */
public final class CoreConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        context.getRegistry().bind(Json.BEAN, Json.newMapper());
    }
}
