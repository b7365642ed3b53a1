package ai.infrastack.gateway.reload;

import ai.infrastack.gateway.core.Settings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.nio.file.Path;

/** Live reload of the route files, when enabled: a broken file keeps its previous version. */
public final class ReloadConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        if (!settings.flag("gateway.reload-enabled")) {
            return;
        }
        SafeRouteReloadStrategy reload = new SafeRouteReloadStrategy(
                Path.of(settings.require("gateway.routes-dir")).toAbsolutePath().normalize());
        context.addService(reload);
        context.getRegistry().bind("routeReloadStrategy", reload);
    }
}
