package ai.infrastack.gateway;

import ai.infrastack.gateway.server.ServerConfiguration;
import org.apache.camel.main.Main;

/**
 * Starts the gateway: camel-main with the top-level {@code application.properties} (overriding the
 * packaged one), the YAML routes from {@code ./routes} and the catalog from {@code ./pricing}.
 */
public final class GatewayApplication {
    private GatewayApplication() {}

    public static void main(String[] args) throws Exception {
        Main main = create();
        main.run(args);
    }

    /** The configured, not yet started, application; tests start it the same way. */
    public static Main create() {
        Main main = new Main();
        String location = System.getProperty("gateway.config", System.getenv().getOrDefault("GATEWAY_CONFIG", "application.properties"));
        main.setDefaultPropertyPlaceholderLocation("classpath:application.properties;optional=true,file:" + location + ";optional=true");
        main.configure().addConfiguration(new GatewayConfiguration());
        main.configure().addConfiguration(new ServerConfiguration());
        return main;
    }
}
