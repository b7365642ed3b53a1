package ai.infrastack.gateway.routing;

import java.util.concurrent.atomic.AtomicReference;

/** The router configuration in force; a reload replaces it whole, so a request sees one version. */
public final class RouterSettings {
    public static final String BEAN = "routerSettings";

    private final AtomicReference<RouterConfig> current;

    public RouterSettings(RouterConfig initial) {
        this.current = new AtomicReference<>(initial);
    }

    public RouterConfig current() {
        return current.get();
    }

    public void replace(RouterConfig config) {
        current.set(config);
    }
}
