package ai.infrastack.gateway.bus;

/** One chat request of a bus message (the message itself, or one entry of a batch envelope). */
public record BusItem(String customId, byte[] chatRequest) {
}
