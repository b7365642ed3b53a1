package ai.infrastack.gateway.provider;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * Marks when an upstream's first bytes (its status line and headers) arrive, for {@code ttfb_ms}.
 * camel-http's classic client runs response interceptors on the calling thread, before the body
 * is read, so a thread-local carries the time back to {@link UpstreamResponseReader}.
 */
public final class UpstreamTimer implements HttpClientConfigurer {
    private static final ThreadLocal<long[]> FIRST_BYTE = ThreadLocal.withInitial(() -> new long[1]);

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.addResponseInterceptorFirst((response, entity, context) -> FIRST_BYTE.get()[0] = System.nanoTime());
    }

    static void reset() {
        FIRST_BYTE.get()[0] = 0;
    }

    /** nanoTime of the first upstream byte on this thread since {@link #reset()}, or 0. */
    static long firstByteNanos() {
        return FIRST_BYTE.get()[0];
    }
}
