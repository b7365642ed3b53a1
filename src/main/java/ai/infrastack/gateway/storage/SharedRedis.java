package ai.infrastack.gateway.storage;

import redis.clients.jedis.RedisClient;

import java.util.Optional;

/**
 * The Redis that gateway instances share when {@code REDIS_URL} is set, or none. One pooled
 * client for every capability that keeps shared state (rate limits, the response cache), so a
 * deployment opens one pool per instance, not one per feature. Each capability decides what it
 * does while Redis is unreachable.
 */
public final class SharedRedis implements AutoCloseable {
    private final RedisClient client;
    private final String url;

    private SharedRedis(RedisClient client, String url) {
        this.client = client;
        this.url = url;
    }

    /** A client for the URL (redis://host:port[/db]), or none when the URL is null. Connects lazily. */
    public static SharedRedis of(String url) {
        return new SharedRedis(url == null ? null : RedisClient.create(url), url);
    }

    public Optional<RedisClient> client() {
        return Optional.ofNullable(client);
    }

    public boolean configured() {
        return client != null;
    }

    /** The URL without credentials, for logs and health. */
    public String describe() {
        return url == null ? "none" : url.replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
