package ai.infrastack.gateway.cache;

import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.SetParams;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Single flight across instances sharing Redis: the instance whose request leads a key locally also
 * takes a short Redis lock on it ({@code SET NX PX}); an instance that finds the lock taken waits for
 * the answer to appear in the shared cache, checking every poll interval while the lock lives, instead
 * of calling upstream too. The lock expires on its own (a crashed leader holds nobody for long); a
 * Redis failure means no lock — the request calls upstream, as without Redis.
 */
final class SharedFlightLock {
    /** Deletes the lock only if it is still ours (it may have expired and been taken by another). */
    private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    private final RedisClient redis;
    private final long lockMs;
    private final long pollMs;
    private final RedisOutage outage;

    SharedFlightLock(RedisClient redis, long lockMs, long pollMs, RedisOutage outage) {
        this.redis = redis;
        this.lockMs = lockMs;
        this.pollMs = pollMs;
        this.outage = outage;
    }

    /** The lock's token when this instance now leads the key, or empty when another instance does. */
    Optional<String> tryLead(String key) {
        String token = UUID.randomUUID().toString();
        if (outage.skipping()) {
            return Optional.of(token);
        }
        try {
            return "OK".equals(redis.set(lockKey(key), token, SetParams.setParams().nx().px(lockMs)))
                    ? Optional.of(token) : Optional.empty();
        } catch (RuntimeException redisDown) {
            outage.failed("lock", redisDown);
            return Optional.of(token); // nobody to coordinate with: lead
        }
    }

    void release(String key, String token) {
        if (outage.skipping()) {
            return; // the lock expires on its own
        }
        try {
            redis.eval(RELEASE, List.of(lockKey(key)), List.of(token));
        } catch (RuntimeException redisDown) {
            outage.failed("unlock", redisDown); // the lock expires on its own
        }
    }

    /**
     * Waits for another instance's answer: the answer once it is stored, or empty when the lock is gone
     * without one (that leader failed), at the deadline, or when Redis fails.
     */
    Optional<CachedAnswer> awaitAnswer(String key, AnswerStore store, long deadlineNanos) {
        try {
            while (true) {
                Optional<CachedAnswer> answer = store.find(key);
                if (answer.isPresent() || !redis.exists(lockKey(key)) || System.nanoTime() > deadlineNanos) {
                    return answer.isPresent() ? answer : store.find(key);
                }
                Thread.sleep(pollMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (RuntimeException redisDown) {
            outage.failed("wait", redisDown);
            return Optional.empty();
        }
    }

    private static String lockKey(String key) {
        return key + ":lock";
    }
}
