package ai.infrastack.gateway.api;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;


import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the endpoint steps: request ids, the answer and error renderers, the models list. */
public final class ApiConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        Registry r = context.getRegistry();
        r.bind("requestIdAssigner", new RequestIdAssigner());
        r.bind("chatResponseAssembler", new ChatResponseAssembler(mapper));
        r.bind("errorResponder", new ErrorResponder(mapper));
        r.bind("modelsLister", new ModelsLister(mandatoryLookup(context, "modelCatalog", ModelCatalog.class), mapper));
        context.addStartupListener(new RouterErrorResponder(mapper, Settings.of(context).integer("camel.server.port")));
    }
}
