package ai.infrastack.gateway.server;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;

import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The pooled keep-alive connections of camel-http's client to the providers, sized for long calls
 * (a streamed answer holds its connection for its whole length): a ceiling in all, and one per
 * provider — {@code gateway.provider.<name>.max-connections}, else the default. As a step after
 * the upstream request is built, it applies the provider's ceiling to the host it calls.
 */
public final class UpstreamPool implements Processor {
    private final PoolingHttpClientConnectionManager connections;
    private final int perProviderDefault;
    private final Function<String, String> setting;
    private final Set<HttpRoute> sized = ConcurrentHashMap.newKeySet();

    UpstreamPool(int maxTotal, int perProviderDefault, Function<String, String> setting) {
        this.perProviderDefault = perProviderDefault;
        this.setting = setting;
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.STRICT)
                .setMaxConnTotal(maxTotal)
                .setMaxConnPerRoute(perProviderDefault)
                // 4 KB in and 4 KB out per connection instead of 8 + 8: with 10,000 calls in flight
                // the buffers were 160 MB of the live heap. They hold headers; bodies larger than
                // the buffer are read into the caller's array directly.
                .setConnectionFactory(ManagedHttpClientConnectionFactory.builder()
                        .http1Config(Http1Config.custom().setBufferSize(4096).build())
                        .build())
                .build();
    }

    /** For camel-http's {@code clientConnectionManager}. */
    public PoolingHttpClientConnectionManager connections() {
        return connections;
    }

    @Override
    public void process(Exchange exchange) {
        String uri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        if (uri == null || provider == null) {
            return;
        }
        URI u = URI.create(uri);
        boolean tls = "https".equalsIgnoreCase(u.getScheme());
        int port = u.getPort() > 0 ? u.getPort() : tls ? 443 : 80;
        HttpRoute route = new HttpRoute(new HttpHost(u.getScheme(), u.getHost(), port), null, tls);
        if (sized.add(route)) {
            String own = setting.apply("gateway.provider." + provider + ".max-connections");
            connections.setMaxPerRoute(route, own == null || own.isBlank() ? perProviderDefault : Integer.parseInt(own.trim()));
        }
    }
}
