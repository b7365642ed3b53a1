package ai.infrastack.gateway.api;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.VertxOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.util.concurrent.TimeUnit;

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
        // platform-http runs each request on a Vert.x worker thread, which the upstream call then
        // holds; the pool bounds how many calls can be in flight at once.
        r.bind("gatewayVertxOptions", new VertxOptions()
                .setWorkerPoolSize(Settings.of(context).integer("gateway.http.worker-threads"))
                .setMaxWorkerExecuteTime(10).setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES));
        context.addStartupListener(new RouterErrorResponder(mapper, Settings.of(context).integer("camel.server.port")));
    }
}
