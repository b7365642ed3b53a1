package ai.infrastack.gateway.limits;

import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The windows in Redis, shared by every gateway instance: each check is one Lua script
 * ({@code limits/window.lua}) run atomically by Redis, so two instances cannot both admit the
 * last request. The script is sent by its SHA-1 and loaded again when Redis lost it (a restart).
 * A failure to reach Redis is thrown as Jedis reports it; {@link FailoverWindowStore} decides.
 */
public final class RedisWindowStore implements WindowStore {
    private final UnifiedJedis redis;
    private final String prefix;
    private final WindowGeometry geometry;
    private final String script;
    private final String sha;

    public RedisWindowStore(UnifiedJedis redis, String prefix, WindowGeometry geometry) {
        this.redis = redis;
        this.prefix = prefix;
        this.geometry = geometry;
        this.script = readScript();
        this.sha = sha1(script);
    }

    @Override
    public Admission admit(String key, HourlyLimits limits, long tokens, long nowMillis) {
        long now = geometry.bucketAt(nowMillis);
        List<?> reply = run(key, now, "admit", limits.requests(), limits.tokens(), tokens);
        return new Admission(((Number) reply.get(0)).longValue() == 1, now, counts(reply));
    }

    @Override
    public WindowCounts settle(String key, long reservedBucket, long reserved, long actual, long nowMillis) {
        return counts(run(key, geometry.bucketAt(nowMillis), "settle", reservedBucket, reserved, actual));
    }

    @Override
    public WindowCounts peek(String key, long nowMillis) {
        return counts(run(key, geometry.bucketAt(nowMillis), "peek", 0, 0, 0));
    }

    /** Adds usage counted elsewhere (by an instance while Redis was unreachable) to the key's window. */
    public WindowCounts merge(String key, WindowCounts counted, long nowMillis) {
        long now = geometry.bucketAt(nowMillis);
        List<String> args = new ArrayList<>(common("merge", now));
        args.add(Integer.toString(counted.requests().size()));
        counted.requests().forEach((bucket, n) -> { args.add(bucket.toString()); args.add(n.toString()); });
        counted.tokens().forEach((bucket, n) -> { args.add(bucket.toString()); args.add(n.toString()); });
        return counts(eval(key, args));
    }

    private List<?> run(String key, long now, String mode, long a, long b, long c) {
        List<String> args = new ArrayList<>(common(mode, now));
        args.addAll(List.of(Long.toString(a), Long.toString(b), Long.toString(c)));
        return eval(key, args);
    }

    private List<String> common(String mode, long now) {
        return List.of(mode, Long.toString(now), Long.toString(geometry.oldestCounted(now)), Long.toString(geometry.ttlSeconds()));
    }

    private List<?> eval(String key, List<String> args) {
        // A hash tag keeps a key's two hashes in one slot, as a Redis Cluster needs for one script.
        String base = prefix + "{" + key + "}";
        List<String> keys = List.of(base + ":r", base + ":t");
        try {
            return (List<?>) redis.evalsha(sha, keys, args);
        } catch (JedisNoScriptException notLoaded) {
            return (List<?>) redis.eval(script, keys, args);
        }
    }

    private static WindowCounts counts(List<?> reply) {
        return new WindowCounts(buckets((List<?>) reply.get(1)), buckets((List<?>) reply.get(2)));
    }

    private static SortedMap<Long, Long> buckets(List<?> flat) {
        SortedMap<Long, Long> out = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            out.put(Long.parseLong(text(flat.get(i))), Long.parseLong(text(flat.get(i + 1))));
        }
        return out;
    }

    private static String text(Object o) {
        return o instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    private static String readScript() {
        try (InputStream in = RedisWindowStore.class.getResourceAsStream("/limits/window.lua")) {
            if (in == null) {
                throw new IllegalStateException("limits/window.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
