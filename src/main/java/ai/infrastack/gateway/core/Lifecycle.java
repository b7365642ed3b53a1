package ai.infrastack.gateway.core;

import org.apache.camel.support.service.ServiceSupport;

/** Ties a resource's release to the Camel context's stop. */
public final class Lifecycle {
    private Lifecycle() {}

    /** A service that runs {@code onStop} when the context stops. */
    public static ServiceSupport onStop(Runnable onStop) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                onStop.run();
            }
        };
    }
}
