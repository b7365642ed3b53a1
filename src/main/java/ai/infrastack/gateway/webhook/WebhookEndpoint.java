package ai.infrastack.gateway.webhook;

import java.util.Set;

/**
 * Where events of some types are delivered, and the secret their signatures use.
 *
 * @param events event types it takes ({@code cost_alert}, {@code batch_completed}); {@code *} for all
 */
public record WebhookEndpoint(String id, String url, String secret, Set<String> events) {

    public boolean takes(String eventType) {
        return events.contains("*") || events.contains(eventType);
    }
}
