package ai.infrastack.gateway.cache;

import java.util.Optional;

/** Where cached answers live: in process, or in the Redis that gateway instances share. */
interface AnswerStore {

    /** The answer kept under the key, or empty — also when the store cannot be reached. */
    Optional<CachedAnswer> find(String key);

    /** Keeps the answer for the configured time; a store that cannot be reached keeps nothing. */
    void put(String key, CachedAnswer answer);
}
