package ai.infrastack.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.Optional;

/** The cache of a single instance (no REDIS_URL): Caffeine, bounded in entries, each kept for the TTL. */
final class InProcessAnswerStore implements AnswerStore {
    private final Cache<String, CachedAnswer> answers;

    InProcessAnswerStore(Duration ttl, long maxEntries) {
        // Upkeep on the caller's thread, not a hand-off to the common pool per expiry.
        this.answers = Caffeine.newBuilder().executor(Runnable::run).expireAfterWrite(ttl).maximumSize(maxEntries).build();
    }

    @Override
    public Optional<CachedAnswer> find(String key) {
        CachedAnswer answer = answers.getIfPresent(key);
        // A copy: the renderer puts the choices into a response tree, and the cached one stays untouched.
        return answer == null ? Optional.empty()
                : Optional.of(new CachedAnswer(answer.choices().deepCopy(), answer.usage(), answer.upstreamModel()));
    }

    @Override
    public void put(String key, CachedAnswer answer) {
        answers.put(key, new CachedAnswer(answer.choices().deepCopy(), answer.usage(), answer.upstreamModel()));
    }
}
