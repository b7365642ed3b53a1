package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Pipeline step after the answer is complete and costed: a cacheable miss's successful answer —
 * unary, or a stream's assembled answer — is kept for the next identical request of the same
 * project, and the requests waiting on this one's flight go on and read it. Failed, cut or
 * abandoned answers are never kept.
 */
public final class ResponseCacheStore implements Processor {
    private final AnswerStore store;

    ResponseCacheStore(AnswerStore store) {
        this.store = store;
    }

    @Override
    public void process(Exchange exchange) {
        ResponseCacheLookup.PendingEntry pending = exchange.getProperty(ResponseCacheLookup.PENDING, ResponseCacheLookup.PendingEntry.class);
        if (pending == null) {
            return;
        }
        exchange.removeProperty(ResponseCacheLookup.PENDING);
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        if (completion != null && completion.complete() && completion.choices() != null && !completion.choices().isEmpty()
                && exchange.getProperty(ExchangeKeys.ERROR) == null) {
            store.put(pending.key(), new CachedAnswer(completion.choices(), completion.usage(), completion.upstreamModel()));
        }
        pending.land().run();
    }
}
